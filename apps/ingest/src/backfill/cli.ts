/**
 * `bun run backfill -- --provider alpaca --symbols AAPL,MSFT --from 2026-11-20 --to 2026-11-21`
 *
 * Loads historical trades and quotes through the same gates, buffer, forwarder and producer as live
 * ingest. Resumable: progress is saved after every delivered page (see `--state`). Exit codes: 0 done,
 * 1 failed (progress kept; run again to resume), 2 bad arguments or configuration, 130 interrupted.
 */
import { parseArgs } from "node:util";
import { ConfigError } from "@repo/platform/config";
import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import { loadBackfillConfig } from "../config.ts";
import { createIngestPipeline } from "../pipeline.ts";
import { alpacaHistoryFor } from "../providers/registry.ts";
import { runBackfill } from "./backfill.ts";
import { barProgress, jsonProgress } from "./progress.ts";
import { type BackfillJob, defaultStatePath, loadState } from "./state.ts";

const USAGE = `usage: bun run backfill -- --provider alpaca --symbols AAPL,MSFT --from 2026-11-20 --to 2026-11-21
  --provider   alpaca (Finnhub's tick history is a premium endpoint and is not supported)
  --symbols    comma list of tickers
  --from       first New York date to load (inclusive), YYYY-MM-DD
  --to         date to stop at (exclusive), YYYY-MM-DD; weekends and exchange holidays are skipped
  --kinds      trades,quotes (default) or trades or quotes
  --state      progress file (default $XDG_STATE_HOME/marketpipe/backfill/<provider>-<job hash>.json,
               XDG_STATE_HOME defaulting to ~/.local/state)
  --restart    ignore saved progress and load everything again (no duplicate rows: same identities)
  --progress   auto (default: a bar on a terminal, JSON lines otherwise), bar or json
Keys and endpoints come from the environment as for ingest: ALPACA_API_KEY_ID, ALPACA_API_SECRET_KEY,
ALPACA_DATA_URL, ALPACA_FEED, ALPACA_RATE_PER_MINUTE, PRODUCER_URL.`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      provider: { type: "string" },
      symbols: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      kinds: { type: "string", default: "trades,quotes" },
      state: { type: "string" },
      restart: { type: "boolean", default: false },
      progress: { type: "string", default: "auto" },
      help: { type: "boolean", default: false },
    },
    allowPositionals: false,
  }).values;
}
try {
  args = parse();
} catch (error) {
  fail((error as Error).message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
if (args.provider !== "alpaca")
  fail(
    args.provider === "finnhub"
      ? "--provider finnhub: Finnhub's tick history (/stock/tick) is a premium endpoint; only alpaca can be backfilled"
      : `--provider must be alpaca (got ${args.provider ?? "nothing"})`,
  );
const DATE = /^\d{4}-\d\d-\d\d$/;
const realDate = (text: string | undefined): text is string =>
  text !== undefined &&
  DATE.test(text) &&
  new Date(Date.parse(`${text}T00:00:00Z`) || 0).toISOString().slice(0, 10) === text;
if (!realDate(args.from)) fail("--from must be a date YYYY-MM-DD");
if (!realDate(args.to)) fail("--to must be a date YYYY-MM-DD");
if (args.to <= args.from) fail("--to must be after --from (it is exclusive)");
const kinds = (args.kinds ?? "")
  .split(",")
  .map((k) => k.trim())
  .filter(Boolean);
if (kinds.length === 0 || kinds.some((k) => k !== "trades" && k !== "quotes"))
  fail("--kinds must list trades and/or quotes");
if (!["auto", "bar", "json"].includes(args.progress ?? ""))
  fail("--progress must be auto, bar or json");

let config: ReturnType<typeof loadBackfillConfig>;
try {
  config = loadBackfillConfig(args.symbols ?? "");
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}

const job: BackfillJob = {
  provider: "alpaca",
  feed: config.ALPACA_FEED,
  symbols: config.ALPACA_SYMBOLS,
  from: args.from,
  to: args.to,
  kinds,
};
const statePath = args.state ?? defaultStatePath(job, config);
const state = args.restart
  ? { version: 1 as const, job, units: {}, updatedAt: new Date().toISOString() }
  : loadState(statePath, job);

const log = createLogger("backfill", config.LOG_LEVEL);
const stats = createStats();
const { buffer, forwarder, ingest } = createIngestPipeline(config, log, stats);
const history = alpacaHistoryFor(config, log, kinds as ("trades" | "quotes")[]);
const bar = args.progress === "bar" || (args.progress === "auto" && process.stderr.isTTY === true);
const reporter = bar
  ? barProgress((text) => process.stderr.write(text), process.stderr.columns ?? 80)
  : jsonProgress((line) => process.stdout.write(line));

const interrupt = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => interrupt.abort());

forwarder.start();
let code = 0;
try {
  const summary = await runBackfill({
    job,
    history,
    sink: ingest.sinkFor("alpaca"),
    buffer,
    stats,
    state,
    statePath,
    reporter,
    forwarding: forwarder.problem,
    log,
    signal: interrupt.signal,
  });
  code = summary.outcome === "done" ? 0 : 130;
} catch {
  code = 1; // reported by runBackfill with where the progress is kept
} finally {
  reporter.close();
  await forwarder.stop(config.SHUTDOWN_GRACE_MS);
  history.close();
}
process.exit(code);
