/**
 * Waits on a running pipeline's services, shared by the pipeline tests on the local stack
 * (libs/e2e, the api's tests) and on the cluster (libs/cluster-test).
 */
import { eventually } from "./env.ts";
import { describeServices, type RunningService } from "./services.ts";

/** The part of ingest's `/stats` the pipeline tests read. */
export interface IngestStats {
  records: {
    fetched: number;
    forwarded: number;
    dropped: number;
    rejected: Record<string, number>;
  };
  buffer: { size: number };
}
/** The part of the producer's `/stats` the pipeline tests read. */
export interface ProducerStats {
  records: { accepted: number; delivered: number; failed: number; rejected: number };
}
/** The part of the consumer's `/stats` the pipeline tests read. */
export interface ConsumerStats {
  records: { consumed: number; written: number; deadLettered: number };
  bars: { written: number };
  /** `readAt`: when the consumer read this lag from Kafka (epoch ms), null before its first read. */
  lag: { total: number; byPartition: Record<string, number>; readAt: number | null };
}

export interface WaitOptions {
  timeoutMs?: number;
  /** What to report when the wait gives up (default: the awaited services' state). */
  diagnose?: () => Promise<string>;
}

/** The twelve symbols the pipeline benchmarks simulate. */
const BENCH_SYMBOLS = [
  "AAPL",
  "MSFT",
  "GOOG",
  "AMZN",
  "NVDA",
  "META",
  "TSLA",
  "AMD",
  "INTC",
  "ORCL",
  "IBM",
  "CSCO",
] as const;

/**
 * Ingest's variables for a reproducible simulated load: `limit` ticks at `rate` per second over
 * `symbols`, polled every second, from `seed`.
 *
 * @example
 *   await pipeline.startIngest(simulatorEnv({ symbols: ["AAPL"], rate: 100, limit: 500, seed: 7 }));
 */
export function simulatorEnv(load: {
  symbols: readonly string[];
  rate: number;
  limit: number;
  seed: number;
}): Record<string, string> {
  return {
    SIMULATOR_SYMBOLS: load.symbols.join(","),
    SIMULATOR_RATE: String(load.rate),
    SIMULATOR_LIMIT: String(load.limit),
    SIMULATOR_CRON: "* * * * * *",
    SIMULATOR_SEED: String(load.seed),
  };
}

/** Waits until ingest accounted for every one of `limit` simulated ticks and its buffer is empty. */
export function ingestSettled(
  ingest: RunningService,
  limit: number,
  options: WaitOptions = {},
): Promise<IngestStats> {
  return eventually(
    async () => {
      const stats = await ingest.json<IngestStats>("/stats");
      const rejected = Object.values(stats.records.rejected).reduce((a, b) => a + b, 0);
      const settled =
        stats.records.fetched === limit &&
        stats.buffer.size === 0 &&
        stats.records.forwarded + rejected + stats.records.dropped === limit;
      return settled ? stats : undefined;
    },
    {
      timeoutMs: options.timeoutMs ?? 120_000,
      intervalMs: 500,
      message: `ingest did not account for all ${limit} simulated ticks with an empty buffer`,
      diagnose: options.diagnose ?? (() => describeServices([ingest])),
    },
  );
}

/** Waits until every consumer replica is at lag 0 and they wrote at least `atLeast` ticks between them. */
export function consumersCaughtUp(
  consumers: RunningService[],
  atLeast: number,
  options: WaitOptions = {},
): Promise<ConsumerStats[]> {
  /** When this wait first saw `atLeast` ticks written, every commit for them already handed to Kafka. */
  let writtenAt: number | undefined;
  return eventually(
    async () => {
      const stats = await Promise.all(
        consumers.map((consumer) => consumer.json<ConsumerStats>("/stats")),
      );
      const written = stats.reduce((sum, s) => sum + s.records.written, 0);
      if (written < atLeast) return undefined;
      writtenAt ??= Date.now();
      const since = writtenAt;
      // `/stats`' lag is read from Kafka once a readiness round, `written` is live: only a lag read
      // after the last ticks were written says whether Kafka holds their commits.
      const fresh = stats.every((s) => s.lag.readAt !== null && s.lag.readAt >= since);
      return fresh && stats.every((s) => s.lag.total === 0) ? stats : undefined;
    },
    {
      timeoutMs: options.timeoutMs ?? 120_000,
      intervalMs: 500,
      message: `${consumers.length === 1 ? "the consumer" : `the ${consumers.length} consumers`} did not reach lag 0 with at least ${atLeast} ticks written`,
      diagnose: options.diagnose ?? (() => describeServices(consumers)),
    },
  );
}

/** {@link consumersCaughtUp} for one consumer: its stats once it is at lag 0 with `atLeast` written. */
export async function consumerCaughtUp(
  consumer: RunningService,
  atLeast: number,
  options: WaitOptions = {},
): Promise<ConsumerStats> {
  const [stats] = await consumersCaughtUp([consumer], atLeast, options);
  return stats as ConsumerStats;
}

/**
 * The pipeline benchmarks' load: starts ingest on `pipeline` simulating twelve symbols at `rate`
 * ticks/s for `seconds` (seed 1) and waits until ingest accounted for every tick.
 */
export async function simulateBenchLoad(
  pipeline: {
    startIngest(env: Record<string, string>): Promise<RunningService>;
    diagnose(): Promise<string>;
  },
  load: { rate: number; seconds: number },
): Promise<{ ingest: RunningService; ingested: IngestStats }> {
  const limit = load.rate * load.seconds;
  const ingest = await pipeline.startIngest(
    simulatorEnv({ symbols: BENCH_SYMBOLS, rate: load.rate, limit, seed: 1 }),
  );
  const ingested = await ingestSettled(ingest, limit, {
    timeoutMs: (load.seconds + 300) * 1000,
    diagnose: () => pipeline.diagnose(),
  });
  return { ingest, ingested };
}
