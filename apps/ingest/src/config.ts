import { ConfigError, loadConfig } from "@repo/platform/config";
import { parseBearerTokens } from "@repo/platform/tokens";
import { ingestConfigProblems } from "./config/checks.ts";
import { ingestEnv } from "./config/env.ts";

export { ingestEnv, type ProviderName, providerUrl } from "./config/env.ts";

export type IngestConfig = ReturnType<typeof loadIngestConfig>;

/**
 * The ingest configuration from the environment; fails naming the variable when an active
 * provider lacks its key, when a batch would exceed the producer's record limit, or when the
 * forward timeout would give up on a request the producer is still delivering.
 *
 * @example
 *   const config = loadIngestConfig(); // INGEST_PROVIDERS=simulator by default
 */
export function loadIngestConfig(env: Record<string, string | undefined> = process.env) {
  const { INGEST_OPERATOR_TOKENS, ...config } = loadConfig(ingestEnv, env);
  const problems: string[] = [];
  const operators = parseBearerTokens(INGEST_OPERATOR_TOKENS ?? "");
  for (const problem of operators.problems)
    problems.push(`  INGEST_OPERATOR_TOKENS (<redacted>): ${problem}`);
  problems.push(...ingestConfigProblems(config));
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n${problems.join("\n")}`);
  }
  return {
    ...config,
    /** Parsed INGEST_OPERATOR_TOKENS (names and digests only). */
    operatorTokens: operators.tokens,
    ALPACA_SYMBOLS:
      config.ALPACA_FEED === "test" && env.ALPACA_SYMBOLS === undefined
        ? ["FAKEPACA"]
        : config.ALPACA_SYMBOLS,
    ALPACA_PLAN_SYMBOL_LIMIT:
      config.ALPACA_PLAN_SYMBOL_LIMIT ??
      (config.ALPACA_PLAN === "basic" ? 30 : Number.MAX_SAFE_INTEGER),
    ALPACA_RATE_PER_MINUTE:
      config.ALPACA_RATE_PER_MINUTE ?? (config.ALPACA_PLAN === "basic" ? 200 : 10_000),
    /** Alpaca's documented delay of the configured feed: `delayed_sip` is 15 minutes behind. */
    ALPACA_FEED_DELAY_MS: config.ALPACA_FEED === "delayed_sip" ? 15 * 60_000 : 0,
    /**
     * How recent SIP history the plan may query: Basic is refused SIP data newer than 15 minutes
     * ("subscription does not permit querying recent SIP data"); 0 when not limited.
     */
    ALPACA_HISTORY_DELAY_MS:
      config.ALPACA_PLAN === "basic" &&
      (config.ALPACA_FEED === "sip" || config.ALPACA_FEED === "delayed_sip")
        ? 15 * 60_000
        : 0,
  };
}

/**
 * `bun run backfill`: the ingest configuration with Alpaca polling `symbols` (named `--symbols` in
 * errors), logging warnings and above unless LOG_LEVEL says otherwise, and XDG_STATE_HOME, under
 * which progress is kept by default.
 *
 * @example
 *   const config = loadBackfillConfig("AAPL,MSFT");
 *   config.ALPACA_SYMBOLS; // ["AAPL", "MSFT"]
 */
export function loadBackfillConfig(
  symbols: string,
  env: Record<string, string | undefined> = process.env,
) {
  let config: ReturnType<typeof loadIngestConfig>;
  try {
    config = loadIngestConfig({
      ...env,
      INGEST_PROVIDERS: "alpaca",
      ALPACA_MODE: "poll",
      ALPACA_SYMBOLS: symbols,
      LOG_LEVEL: env.LOG_LEVEL ?? "warn",
    });
  } catch (error) {
    if (error instanceof ConfigError)
      throw new ConfigError(error.message.replace("ALPACA_SYMBOLS", "--symbols"));
    throw error;
  }
  return { ...config, XDG_STATE_HOME: env.XDG_STATE_HOME || undefined };
}
