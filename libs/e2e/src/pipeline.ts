/**
 * The pieces of an end-to-end run: an isolated pipeline (topics, keyspace, group, the three services
 * as users run them) and the checks on what reached Cassandra, shared by the pipeline tests.
 */
import {
  buildApp,
  cassandraClient,
  describeServices,
  dropIsolated,
  expectedBars,
  provisionKeyspace,
  provisionTopics,
  type RunningService,
  STORED_TRADE_COLUMNS,
  type StoredTrade,
  startService,
  storedBarValues,
  storedTradeOf,
  uniqueId,
} from "@repo/testkit";
import type cassandra from "cassandra-driver";

export interface Pipeline {
  prefix: string;
  keyspace: string;
  group: string;
  db: cassandra.Client;
  producer: RunningService;
  consumer: RunningService;
  services: RunningService[];
  startIngest(env: Record<string, string>): Promise<RunningService>;
  /** `/readyz`, `/stats` and the output tail of every service started so far, for failed waits. */
  diagnose(): Promise<string>;
  /** Stops the services and drops the pipeline's keyspace, topics, subjects and consumer group. */
  close(): Promise<void>;
}

/**
 * Builds and starts producer and consumer on their own topics, keyspace and group; `env` is added
 * to both (e.g. `KAFKA_BROKERS` pointing at a relay). Topics are created on the stack's broker.
 */
export async function startPipeline(
  name: string,
  env: Record<string, string> = {},
): Promise<Pipeline> {
  await Promise.all([buildApp("producer"), buildApp("consumer")]);
  const id = uniqueId(name);
  const prefix = `${id}.`;
  const group = `${id}-group`;
  await provisionTopics(prefix);
  await provisionKeyspace(id);
  const db = await cassandraClient(id);
  const services: RunningService[] = [];
  const producer = await startService(
    "producer",
    { TOPIC_PREFIX: prefix, ...env },
    { waitFor: "readyz" },
  );
  services.push(producer);
  const consumer = await startService(
    "consumer",
    { TOPIC_PREFIX: prefix, CASSANDRA_KEYSPACE: id, CONSUMER_GROUP: group, ...env },
    { waitFor: "readyz" },
  );
  services.push(consumer);
  return {
    prefix,
    keyspace: id,
    group,
    db,
    producer,
    consumer,
    services,
    async startIngest(env) {
      const ingest = await startService(
        "ingest",
        // Its runs go to the pipeline's keyspace, dropped with it.
        {
          PRODUCER_URL: producer.url,
          INGEST_PROVIDERS: "simulator",
          CASSANDRA_KEYSPACE: id,
          ...env,
        },
        { waitFor: "readyz" },
      );
      services.push(ingest);
      return ingest;
    },
    diagnose: () => describeServices(services),
    async close() {
      for (const service of services) await service.stop().catch(() => {});
      await db.shutdown().catch(() => {});
      await dropIsolated({ prefix, groups: [group], keyspace: id });
    },
  };
}

/** Pino lines at level error (50) or fatal (60) that a service printed. */
export function loggedErrors(service: RunningService): string[] {
  return service
    .output()
    .split("\n")
    .filter((line) => {
      try {
        return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50;
      } catch {
        return false;
      }
    });
}

export interface StoredOutcome {
  rows: number;
  bars: number;
  /** Bars whose stored values differ from the recomputation (key → [stored, expected]). */
  mismatchedBars: [string, unknown, unknown][];
  missingBars: string[];
  /** Symbols whose latest_quotes row is not their newest stored tick. */
  staleLatest: string[];
}

/** Reads the keyspace back and compares bars and latest quotes with an independent recomputation. */
export async function storedOutcome(db: cassandra.Client): Promise<StoredOutcome> {
  const trades: StoredTrade[] = [];
  const newest = new Map<string, bigint>();
  let rows = 0;
  const ticks = await db.execute(`SELECT ${STORED_TRADE_COLUMNS} FROM ticks`, [], {
    prepare: true,
    fetchSize: 2000,
  });
  for await (const row of ticks) {
    rows += 1;
    const tick = storedTradeOf(row);
    if (row.get("kind") === "TRADE") trades.push(tick);
    // latest_quotes ignores cancels (a cancel repeats an older trade).
    if (!tick.cancelled && tick.eventTimeUs > (newest.get(tick.symbol) ?? -1n))
      newest.set(tick.symbol, tick.eventTimeUs);
  }
  const expected = expectedBars(trades);
  const stored = await db.execute(
    "SELECT symbol, minute, open, high, low, close, volume, vwap, trades FROM bars_1m",
  );
  const mismatchedBars: [string, unknown, unknown][] = [];
  const seen = new Set<string>();
  for (const bar of stored.rows) {
    const key = `${bar.get("symbol")}|${(bar.get("minute") as Date).getTime()}`;
    seen.add(key);
    const want = expected.get(key);
    const got = storedBarValues(bar);
    const wanted = want && {
      open: want.open,
      high: want.high,
      low: want.low,
      close: want.close,
      volume: want.volume,
      vwap: want.vwap,
      trades: want.trades,
    };
    if (JSON.stringify(got, bigints) !== JSON.stringify(wanted, bigints))
      mismatchedBars.push([key, got, wanted]);
  }
  const latest = await db.execute("SELECT symbol, event_time_us FROM latest_quotes");
  const staleLatest = latest.rows
    .filter((row) => BigInt(row.get("event_time_us").toString()) !== newest.get(row.get("symbol")))
    .map((row) => row.get("symbol") as string);
  for (const symbol of newest.keys())
    if (!latest.rows.some((r) => r.get("symbol") === symbol)) staleLatest.push(symbol);
  return {
    rows,
    bars: stored.rowLength,
    mismatchedBars,
    missingBars: [...expected.keys()].filter((key) => !seen.has(key)),
    staleLatest,
  };
}

const bigints = (_: string, value: unknown) =>
  typeof value === "bigint" ? value.toString() : value;
