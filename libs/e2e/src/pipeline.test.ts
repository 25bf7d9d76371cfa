/**
 * The whole pipeline on the real stack: the simulator at a fixed rate for a bounded number of ticks
 * → ingest (Bun) → producer (Node, librdkafka) → Kafka → consumer (Node) → Cassandra. Asserts that
 * nothing is lost or duplicated between provider and Cassandra, and that bars equal their ticks.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Admin } from "@platformatic/kafka";
import {
  brokers,
  consumerCaughtUp,
  endOffsets,
  eventually,
  ingestSettled,
  type Pipeline,
  type ProducerStats,
  simulatorEnv,
  startPipeline,
} from "@repo/testkit";
import { loggedErrors, storedOutcome } from "./pipeline.ts";

const RATE_PER_SECOND = 250;
const TICK_LIMIT = 5_000; // 20 s of simulated market at 250 ticks/s
const SYMBOLS = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "BRK.B"];

let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline("e2e");
}, 180_000);
afterAll(() => pipeline?.close(), 60_000);

test("ingest forwarded = producer delivered = consumer written = rows in Cassandra; bars equal their ticks", async () => {
  const started = Date.now();
  const ingest = await pipeline.startIngest(
    simulatorEnv({ symbols: SYMBOLS, rate: RATE_PER_SECOND, limit: TICK_LIMIT, seed: 2026 }),
  );

  // Bounded run: the simulator goes quiet after TICK_LIMIT ticks; ingest accounts for every one.
  const ingestStats = await ingestSettled(ingest, TICK_LIMIT, {
    timeoutMs: 90_000,
    diagnose: pipeline.diagnose,
  });
  expect(await ingest.stop("SIGTERM")).toBe(0);
  const forwarded = ingestStats.records.forwarded;
  expect(forwarded).toBeGreaterThan(TICK_LIMIT * 0.95);
  expect(ingestStats.records.dropped).toBe(0);

  const consumerStats = await consumerCaughtUp(pipeline.consumer, forwarded, {
    timeoutMs: 90_000,
    diagnose: pipeline.diagnose,
  });
  const elapsedSeconds = (Date.now() - started) / 1000;

  // The group's committed offsets, read from Kafka itself, reach the end of every partition. The
  // consumer commits in the background and commits again what Kafka does not hold 3 s after it was
  // sent (a commit librdkafka retried can land after a newer one), so this is read until it holds.
  const topic = `${pipeline.prefix}market.ticks`;
  const ends = await endOffsets(topic);
  const expected = [...ends.values()];
  const admin = new Admin({ clientId: "e2e", bootstrapBrokers: brokers });
  const committedOffsets = async () => {
    const [committed] = await admin.listConsumerGroupOffsets({ groups: [pipeline.group] });
    const partitions = committed?.topics.find((t) => t.name === topic)?.partitions ?? [];
    // A partition that never received a record has nothing to commit.
    return [...ends.keys()].map(
      (partition) => partitions.find((p) => p.partitionIndex === partition)?.committedOffset ?? 0n,
    );
  };
  try {
    const atEnd = await eventually(
      async () => {
        const offsets = await committedOffsets();
        return offsets.every((offset, i) => offset === expected[i]) ? offsets : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 500, message: "committed offsets did not reach the ends" },
    ).catch(() => committedOffsets());
    expect(atEnd).toEqual(expected);
  } finally {
    await admin.close();
  }

  const producerStats = await pipeline.producer.json<ProducerStats>("/stats");
  const stored = await storedOutcome(pipeline.db);
  console.log(
    `e2e: ${forwarded} ticks forwarded, ${producerStats.records.delivered} delivered, ` +
      `${consumerStats.records.written} written, ${stored.rows} rows, ${stored.bars} bars; ` +
      `${elapsedSeconds.toFixed(1)} s from ingest start to lag 0 (${(forwarded / elapsedSeconds).toFixed(0)} ticks/s end to end)`,
  );
  expect(producerStats.records.delivered).toBe(forwarded);
  expect(producerStats.records.failed).toBe(0);
  expect(consumerStats.records.written).toBe(forwarded);
  expect(consumerStats.records.deadLettered).toBe(0);
  expect(stored.rows).toBe(forwarded);
  expect(stored.bars).toBeGreaterThan(0);
  expect(stored.mismatchedBars).toEqual([]);
  expect(stored.missingBars).toEqual([]);
  expect(stored.staleLatest).toEqual([]);
  for (const service of [ingest, pipeline.producer, pipeline.consumer]) {
    expect(loggedErrors(service), service.name).toEqual([]);
  }
}, 300_000); // ingest start 60 s + settled 90 s + caught up 90 s + checks: every wait reports before this
