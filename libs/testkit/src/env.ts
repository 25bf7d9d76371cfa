import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { ConfigError, loadConfig, positiveInt } from "@repo/platform/config";
import { configOrExit } from "@repo/platform/startup";

export { childEnv } from "@repo/platform/config";

/**
 * The one place tests read the environment: where the shared stack listens (the defaults are
 * `bun run stack`'s), the browser they drive and where they leave reports. Services a test spawns
 * get their environment through `childEnv`.
 */
export const stackEnv = {
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? "127.0.0.1:9092",
  SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:8081",
  CASSANDRA_CONTACT_POINTS: process.env.CASSANDRA_CONTACT_POINTS ?? "127.0.0.1:9042",
  CASSANDRA_LOCAL_DC: process.env.CASSANDRA_LOCAL_DC ?? "datacenter1",
};

export const brokers = stackEnv.KAFKA_BROKERS.split(",");

const repoRoot = resolve(import.meta.dir, "../../..");

/** Where tests leave screenshots and reports: `$STACK_DIR/test-results` (`.stack/test-results`). */
export const testResultsDir = resolve(
  process.env.STACK_DIR ?? join(repoRoot, ".stack"),
  "test-results",
);

/** The Chromium the browser tests drive: `CHROMIUM_PATH`, Debian's `/usr/bin/chromium` by default. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * The load a simulator benchmark offers: BENCH_RATE ticks/s for BENCH_SECONDS (`limit` ticks in
 * all, at most 1,000,000). A bad value exits 2 naming it.
 *
 * @example
 *   const { rate, seconds, limit } = simulatorLoad({ rate: 2000, seconds: 20 });
 */
export function simulatorLoad(defaults: { rate: number; seconds: number }) {
  return configOrExit(() => {
    const config = loadConfig({
      BENCH_RATE: positiveInt(defaults.rate),
      BENCH_SECONDS: positiveInt(defaults.seconds),
    });
    const limit = config.BENCH_RATE * config.BENCH_SECONDS;
    if (limit > 1_000_000)
      throw new ConfigError(
        `invalid configuration:\n  BENCH_RATE × BENCH_SECONDS (${limit}): must be at most 1,000,000 ticks`,
      );
    return { rate: config.BENCH_RATE, seconds: config.BENCH_SECONDS, limit };
  });
}

/**
 * A short unique name for isolating one test's topics, keyspace and group.
 *
 * @example
 *   const prefix = `${uniqueId("prod")}.`; // "prod_k3x9q2."
 */
export function uniqueId(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

export interface EventuallyOptions {
  /** Gives up after this long (default 30 s); a check still running then is abandoned. */
  timeoutMs?: number;
  intervalMs?: number;
  /** What was awaited, said as what did not happen: "consumer lag did not reach 0". */
  message?: string;
  /**
   * Called once when the wait gives up; what it returns is appended to the error, so a failed wait
   * shows the state that explains it (services' `/stats`, `/readyz`, log tails: see
   * `describeServices`). It gets a few seconds; its own failure is reported in its place.
   */
  diagnose?: () => Promise<string> | string;
}

/**
 * Polls `check` until it returns a non-undefined value or `timeoutMs` passes, then throws an error
 * naming what it waited for, the last error `check` threw and what `diagnose` reports.
 *
 * @example
 *   const stats = await eventually(
 *     async () => ((await consumer.json<Stats>("/stats")).lag.total === 0 ? true : undefined),
 *     { timeoutMs: 60_000, message: "consumer lag did not reach 0", diagnose: () => describeServices([consumer]) },
 *   );
 */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await withinMs(deadline - Date.now(), check);
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    const left = deadline - Date.now();
    if (left > 0) await Bun.sleep(Math.min(options.intervalMs ?? 250, left));
  }
  const reason = lastError instanceof Error ? ` (last check failed: ${lastError.message})` : "";
  let report = "";
  if (options.diagnose) {
    const diagnose = options.diagnose;
    report = await withinMs(10_000, async () => `\n${await diagnose()}`).catch(
      (error: Error) => `\n(diagnose failed: ${error.message})`,
    );
  }
  throw new Error(
    `${options.message ?? "condition not met"} within ${timeoutMs} ms${reason}${report}`,
  );
}

/**
 * {@link eventually} for a synchronous in-process check (a fake server's log, a counter): polls it
 * every 10 ms until it returns something other than undefined or false.
 *
 * @example
 *   await until(() => buffer.size === 0, "the buffer did not drain");
 */
export function until<T>(
  check: () => T | undefined | false,
  what = "condition not met",
  timeoutMs = 10_000,
): Promise<Exclude<T, false>> {
  return eventually(
    () => {
      const value = check();
      return value === false ? undefined : (value as Exclude<T, false>);
    },
    { timeoutMs, intervalMs: 10, message: what },
  );
}

const timedOut = Symbol("timed out");

/** `run()`'s value, or an error when it takes longer than `ms` (it is left running). */
async function withinMs<T>(ms: number, run: () => Promise<T> | T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), Math.max(0, ms));
  });
  try {
    const value = await Promise.race([Promise.resolve().then(run), late]);
    if (value === timedOut) throw new Error(`no answer within ${Math.max(0, ms)} ms`);
    return value;
  } finally {
    clearTimeout(timer);
  }
}
