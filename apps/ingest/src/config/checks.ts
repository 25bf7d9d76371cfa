import { existsSync } from "node:fs";
import type { IngestEnv } from "./env.ts";

/**
 * What the variables of ingest mean together, one line a problem naming the variable: an active
 * provider without its key or file, more than one streaming connection per key, a feed the plan
 * cannot stream, a batch over the producer's record limit, a forward timeout shorter than the
 * producer's delivery timeout.
 *
 * @example
 *   const problems = ingestConfigProblems(config); // ["  TIINGO_API_TOKEN (unset): required by INGEST_PROVIDERS"]
 */
export function ingestConfigProblems(config: Omit<IngestEnv, "INGEST_OPERATOR_TOKENS">): string[] {
  const problems: string[] = [];
  const missing = (variable: string) =>
    problems.push(`  ${variable} (unset): required by INGEST_PROVIDERS`);
  if (config.INGEST_PROVIDERS.includes("alpaca")) {
    if (!config.ALPACA_API_KEY_ID) missing("ALPACA_API_KEY_ID");
    if (!config.ALPACA_API_SECRET_KEY) missing("ALPACA_API_SECRET_KEY");
  }
  if (config.INGEST_PROVIDERS.includes("tiingo") && !config.TIINGO_API_TOKEN)
    missing("TIINGO_API_TOKEN");
  if (config.INGEST_PROVIDERS.includes("finnhub") && !config.FINNHUB_API_KEY)
    missing("FINNHUB_API_KEY");
  if (config.INGEST_PROVIDERS.includes("replay")) {
    if (!config.REPLAY_FILE) missing("REPLAY_FILE");
    else if (!existsSync(config.REPLAY_FILE))
      problems.push(
        `  REPLAY_FILE (${config.REPLAY_FILE}): no such file (relative to ${process.cwd()})`,
      );
  }
  const oneConnection = (name: string, connections: number) => {
    if (connections > 1)
      problems.push(
        `  ${name}_STREAM_MAX_CONNECTIONS (${connections}): must be 1; the provider allows one connection per endpoint and key (a second is refused: Alpaca 406 "connection limit exceeded"), so ingest streams every symbol on one connection up to ${name}_PLAN_SYMBOL_LIMIT`,
      );
  };
  const renamed = (name: string, value: string | undefined) => {
    if (value !== undefined)
      problems.push(
        `  ${name}_STREAM_MAX_SYMBOLS (${value}): replaced by ${name}_PLAN_SYMBOL_LIMIT (symbols the plan streams on its one connection)`,
      );
  };
  const alpacaStreams =
    config.INGEST_PROVIDERS.includes("alpaca") && config.ALPACA_MODE === "stream";
  if (alpacaStreams) {
    oneConnection("ALPACA", config.ALPACA_STREAM_MAX_CONNECTIONS);
    renamed("ALPACA", config.ALPACA_STREAM_MAX_SYMBOLS);
  }
  if (
    config.INGEST_PROVIDERS.includes("alpaca") &&
    config.ALPACA_FEED === "sip" &&
    config.ALPACA_PLAN === "basic"
  )
    problems.push(
      `  ALPACA_FEED (sip): the Basic plan streams IEX only in real time (Alpaca refuses sip with 409 "insufficient subscription"); use iex or delayed_sip, or set ALPACA_PLAN=algo_trader_plus`,
    );
  if (
    config.INGEST_PROVIDERS.includes("alpaca") &&
    config.ALPACA_FEED === "test" &&
    config.ALPACA_MODE === "poll"
  )
    problems.push(
      `  ALPACA_FEED (test): the test stream has no REST data to poll; use ALPACA_MODE=stream`,
    );
  if (config.INGEST_PROVIDERS.includes("finnhub")) {
    oneConnection("FINNHUB", config.FINNHUB_STREAM_MAX_CONNECTIONS);
    renamed("FINNHUB", config.FINNHUB_STREAM_MAX_SYMBOLS);
    if (config.FINNHUB_SYMBOLS.length > config.FINNHUB_PLAN_SYMBOL_LIMIT)
      problems.push(
        `  FINNHUB_SYMBOLS (${config.FINNHUB_SYMBOLS.length} symbols): more than FINNHUB_PLAN_SYMBOL_LIMIT (${config.FINNHUB_PLAN_SYMBOL_LIMIT}) allows on the key's one connection, and Finnhub has no REST trades with sizes to poll the rest from`,
      );
  }
  if (config.INGEST_BATCH_SIZE > config.INGEST_PRODUCER_MAX_RECORDS) {
    problems.push(
      `  INGEST_BATCH_SIZE (${config.INGEST_BATCH_SIZE}): must be at most INGEST_PRODUCER_MAX_RECORDS (${config.INGEST_PRODUCER_MAX_RECORDS}), the producer's PRODUCER_MAX_RECORDS`,
    );
  }
  if (config.INGEST_FORWARD_TIMEOUT_MS <= config.INGEST_PRODUCER_DELIVERY_TIMEOUT_MS) {
    problems.push(
      `  INGEST_FORWARD_TIMEOUT_MS (${config.INGEST_FORWARD_TIMEOUT_MS}): must be longer than INGEST_PRODUCER_DELIVERY_TIMEOUT_MS (${config.INGEST_PRODUCER_DELIVERY_TIMEOUT_MS}), the producer's DELIVERY_TIMEOUT_MS, or batches still being delivered are sent again`,
    );
  }
  return problems;
}
