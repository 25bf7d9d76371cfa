/**
 * The whole pipeline on the real stack: the simulator at a fixed rate for a bounded number of ticks
 * → ingest (Bun) → producer (Node, librdkafka) → Kafka → consumer (Node) → Cassandra. Asserts that
 * nothing is lost or duplicated between provider and Cassandra, and that bars equal their ticks.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { Admin } from "@platformatic/kafka";
import {
  brokers,
  cassandraClient,
  dropKeyspace,
  endOffsets,
  eventually,
  provisionKeyspace,
  provisionTopics,
  type RunningService,
  startService,
  uniqueId,
} from "@repo/testkit";
import type cassandra from "cassandra-driver";
import { expectedBars, type StoredTrade } from "./bars.ts";

const RATE_PER_SECOND = 250;
const TICK_LIMIT = 5_000; // 20 s of simulated market at 250 ticks/s
const SYMBOLS = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "BRK.B"];

interface IngestStats {
  records: {
    fetched: number;
    forwarded: number;
    dropped: number;
    rejected: Record<string, number>;
  };
  buffer: { size: number };
}
interface ProducerStats {
  records: { accepted: number; delivered: number; failed: number; rejected: number };
}
interface ConsumerStats {
  records: { consumed: number; written: number; deadLettered: number };
  bars: { written: number };
  lag: { total: number; byPartition: Record<string, number> };
}

const repoRoot = resolve(import.meta.dir, "../../..");
const id = uniqueId("e2e");
const prefix = `${id}.`;
const keyspace = id;
const group = `${id}-group`;
const services: RunningService[] = [];

function build(app: string) {
  const run = Bun.spawnSync(["bun", "run", "build"], {
    cwd: resolve(repoRoot, "apps", app),
    stderr: "pipe",
  });
  if (run.exitCode !== 0) throw new Error(`building ${app} failed: ${run.stderr.toString()}`);
}

/** Pino lines at level error (50) or fatal (60) that a service printed. */
function loggedErrors(service: RunningService): string[] {
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

describe("pipeline end to end", () => {
  let db: cassandra.Client;
  let producer: RunningService;
  let consumer: RunningService;
  let ingest: RunningService;

  beforeAll(async () => {
    build("producer");
    build("consumer");
    await provisionTopics(prefix);
    await provisionKeyspace(keyspace);
    db = await cassandraClient(keyspace);
    producer = await startService("producer", { TOPIC_PREFIX: prefix }, { waitFor: "readyz" });
    services.push(producer);
    consumer = await startService(
      "consumer",
      { TOPIC_PREFIX: prefix, CASSANDRA_KEYSPACE: keyspace, CONSUMER_GROUP: group },
      { waitFor: "readyz" },
    );
    services.push(consumer);
  }, 180_000);

  afterAll(async () => {
    for (const service of services) await service.stop().catch(() => {});
    await db?.shutdown().catch(() => {});
    await dropKeyspace(keyspace).catch(() => {});
  });

  test("ingest forwarded = producer delivered = consumer written = rows in Cassandra; bars equal their ticks", async () => {
    const started = Date.now();
    ingest = await startService(
      "ingest",
      {
        PRODUCER_URL: producer.url,
        INGEST_PROVIDERS: "simulator",
        SIMULATOR_SYMBOLS: SYMBOLS.join(","),
        SIMULATOR_RATE: String(RATE_PER_SECOND),
        SIMULATOR_LIMIT: String(TICK_LIMIT),
        SIMULATOR_CRON: "* * * * * *",
        SIMULATOR_SEED: "2026",
      },
      { waitFor: "readyz" },
    );
    services.push(ingest);

    // Bounded run: the simulator goes quiet after TICK_LIMIT ticks; wait until ingest has
    // accounted for every one (forwarded, rejected by a gate, or dropped) and its buffer is empty.
    const ingestStats = await eventually(
      async () => {
        const stats = await ingest.json<IngestStats>("/stats");
        const rejected = Object.values(stats.records.rejected).reduce((a, b) => a + b, 0);
        const settled =
          stats.records.fetched === TICK_LIMIT &&
          stats.buffer.size === 0 &&
          stats.records.forwarded + rejected + stats.records.dropped === TICK_LIMIT;
        return settled ? stats : undefined;
      },
      {
        timeoutMs: 120_000,
        intervalMs: 500,
        message: "ingest did not forward every simulated tick",
      },
    );
    expect(await ingest.stop("SIGTERM")).toBe(0);
    const forwarded = ingestStats.records.forwarded;
    expect(forwarded).toBeGreaterThan(TICK_LIMIT * 0.95);
    expect(ingestStats.records.dropped).toBe(0);

    const consumerStats = await eventually(
      async () => {
        const stats = await consumer.json<ConsumerStats>("/stats");
        return stats.lag.total === 0 && stats.records.written >= forwarded ? stats : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, message: "consumer lag did not reach 0" },
    );
    const elapsedSeconds = (Date.now() - started) / 1000;

    // The group's committed offsets, read from Kafka itself, are at the end of every partition.
    const ends = await endOffsets(`${prefix}market.ticks`);
    const admin = new Admin({ clientId: "e2e", bootstrapBrokers: brokers });
    try {
      const [committed] = await admin.listConsumerGroupOffsets({ groups: [group] });
      const partitions =
        committed?.topics.find((t) => t.name === `${prefix}market.ticks`)?.partitions ?? [];
      for (const [partition, end] of ends) {
        const offset =
          partitions.find((p) => p.partitionIndex === partition)?.committedOffset ?? 0n;
        expect(offset).toBe(end);
      }
    } finally {
      await admin.close();
    }

    const producerStats = await producer.json<ProducerStats>("/stats");
    const rows = await db.execute("SELECT COUNT(*) AS n FROM ticks", [], { readTimeout: 60_000 });
    const rowCount = Number(rows.first()?.get("n"));
    console.log(
      `e2e: ${forwarded} ticks forwarded, ${producerStats.records.delivered} delivered, ` +
        `${consumerStats.records.written} written, ${rowCount} rows; ${consumerStats.bars.written} bar writes; ` +
        `${elapsedSeconds.toFixed(1)} s from ingest start to lag 0 (${(forwarded / elapsedSeconds).toFixed(0)} ticks/s end to end)`,
    );
    expect(producerStats.records.delivered).toBe(forwarded);
    expect(producerStats.records.failed).toBe(0);
    expect(consumerStats.records.written).toBe(forwarded);
    expect(consumerStats.records.deadLettered).toBe(0);
    expect(rowCount).toBe(forwarded);

    // Every stored bar equals the recomputation from the stored TRADE ticks of its minute.
    const trades: StoredTrade[] = [];
    const lastBySymbol = new Map<string, { eventTimeUs: bigint; price: string }>();
    const allTicks = await db.execute(
      "SELECT symbol, event_time_us, sequence, source, kind, price, size FROM ticks",
      [],
      { prepare: true, fetchSize: 2000 },
    );
    for await (const row of allTicks) {
      const tick = {
        symbol: row.get("symbol") as string,
        eventTimeUs: BigInt(row.get("event_time_us").toString()),
        sequence: BigInt(row.get("sequence").toString()),
        source: row.get("source") as string,
        price: row.get("price").toString() as string,
        size: BigInt(row.get("size").toString()),
      };
      if (row.get("kind") === "TRADE") trades.push(tick);
      const last = lastBySymbol.get(tick.symbol);
      if (!last || tick.eventTimeUs > last.eventTimeUs) lastBySymbol.set(tick.symbol, tick);
    }
    const expected = expectedBars(trades);
    const stored = await db.execute(
      "SELECT symbol, minute, open, high, low, close, volume, vwap, trades FROM bars_1m",
    );
    expect(expected.size).toBeGreaterThan(0);
    expect(stored.rowLength).toBe(expected.size);
    for (const bar of stored.rows) {
      const key = `${bar.get("symbol")}|${(bar.get("minute") as Date).getTime()}`;
      const want = expected.get(key);
      expect(want, `bar ${key} has trades`).toBeDefined();
      expect({
        open: bar.get("open").toString(),
        high: bar.get("high").toString(),
        low: bar.get("low").toString(),
        close: bar.get("close").toString(),
        volume: BigInt(bar.get("volume").toString()),
        vwap: bar.get("vwap").toString(),
        trades: BigInt(bar.get("trades").toString()),
      }).toEqual({
        open: want?.open,
        high: want?.high,
        low: want?.low,
        close: want?.close,
        volume: want?.volume,
        vwap: want?.vwap,
        trades: want?.trades,
      } as never);
    }

    // latest_quotes holds each symbol's newest tick.
    const latest = await db.execute("SELECT symbol, event_time_us, price FROM latest_quotes");
    expect(latest.rowLength).toBe(lastBySymbol.size);
    for (const row of latest.rows) {
      const want = lastBySymbol.get(row.get("symbol"));
      expect(BigInt(row.get("event_time_us").toString())).toBe(want?.eventTimeUs as bigint);
    }

    for (const service of [ingest, producer, consumer])
      expect(loggedErrors(service), service.name).toEqual([]);
  }, 300_000);
});
