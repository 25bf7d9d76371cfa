/**
 * Test harness for the consumer's end-to-end tests (Bun only): isolated topics, subjects,
 * keyspace and group per test; Avro ticks produced straight onto the topic; table readers.
 */
import { resolve } from "node:path";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { avroOptions, type Tick } from "@repo/contracts";
import {
  buildApp,
  postTicks,
  produceBySymbol,
  provisionIsolated,
  type RunningService,
  sampleTick,
  stackEnv,
  startService,
  waitFor,
} from "@repo/testkit";
import type cassandra from "cassandra-driver";
import type { ConsumerStats } from "../stats.ts";

export const appDir = resolve(import.meta.dir, "../..");

/** Builds dist/ once per test process so the spawned service runs the current code. */
export const buildConsumer = () => buildApp("consumer");

export interface Scenario {
  prefix: string;
  keyspace: string;
  group: string;
  env: Record<string, string>;
  topic: { ticks: string; deadLetter: string; bars: string };
  registry: SchemaRegistry;
  /** Registry id of the Tick schema under the prefixed subject (resolved once: the registry stores in Cassandra). */
  tickSchemaId: number;
  db: cassandra.Client;
  /** Produces ticks onto the scenario's topic ({@link produceTicks}). */
  produce(ticks: Tick[]): Promise<void>;
  /** Starts a consumer on the scenario (extra variables override), stopped by `close()` at the latest. */
  start(extra?: Record<string, string>): Promise<RunningService>;
  /** Rows in the scenario's `ticks` table. */
  tickCount(): Promise<number>;
  /** Identities of the stored ticks, one entry per row ({@link storedIdentities}). */
  storedIdentities(): Promise<string[]>;
  /**
   * Stops the consumers `start` started, shuts `db` down and deletes the keyspace, topics,
   * subjects and consumer group (stop consumers started otherwise first: a group with members
   * cannot be deleted). Never throws.
   */
  close(): Promise<void>;
}

/**
 * Builds the consumer (once per process), creates prefixed topics + subjects (schemas:push) and a
 * migrated keyspace for one test; its `close()` deletes them.
 *
 * @example
 *   let s: Scenario | undefined;
 *   afterAll(() => s?.close());
 *   s = await scenario("cons_bulk");
 *   await s.produce(makeTicks(2, 100));
 *   const consumer = await s.start();
 */
export async function scenario(name: string): Promise<Scenario> {
  await buildConsumer();
  const { prefix, keyspace, group, db, release } = await provisionIsolated(name);
  const registry = new SchemaRegistry(
    { host: stackEnv.SCHEMA_REGISTRY_URL },
    { [SchemaType.AVRO]: avroOptions as never },
  );
  const started: RunningService[] = [];
  const s: Scenario = {
    prefix,
    keyspace,
    group,
    env: {
      TOPIC_PREFIX: prefix,
      CASSANDRA_KEYSPACE: keyspace,
      CONSUMER_GROUP: group,
      CASSANDRA_CONSISTENCY: "LOCAL_QUORUM",
    },
    topic: {
      ticks: `${prefix}market.ticks`,
      deadLetter: `${prefix}market.ticks.dlq`,
      bars: `${prefix}market.bars.1m`,
    },
    registry,
    tickSchemaId: await registry.getLatestSchemaId(`${prefix}market.ticks-value`),
    db,
    produce: (ticks) => produceTicks(s, ticks),
    async start(extra) {
      const consumer = await startConsumer(s, extra);
      started.push(consumer);
      return consumer;
    },
    tickCount: () => tickCount(db),
    storedIdentities: () => storedIdentities(db),
    async close() {
      for (const consumer of started) await consumer.stop().catch(() => {});
      await release([group]);
    },
  };
  return s;
}

/**
 * Starts the real producer on the scenario's topics (stopped by the caller): ticks posted through
 * it take the path a user's do (HTTP, validation, the registry, librdkafka).
 */
export async function startProducer(s: Scenario): Promise<RunningService> {
  await buildApp("producer");
  return startService("producer", { TOPIC_PREFIX: s.prefix }, { waitFor: "readyz" });
}

export { postTicks };

export function startConsumer(
  s: Scenario,
  extra: Record<string, string> = {},
  nodeArgs: string[] = [],
) {
  return startService("consumer", { ...s.env, ...extra }, { waitFor: "healthz", nodeArgs });
}

/**
 * Deterministic ticks: `perSymbol` per symbol, 250 ms apart, every 4th a QUOTE, prices with
 * 6 decimals, starting at a minute boundary two hours ago.
 */
export function makeTicks(symbols: number, perSymbol: number, base = defaultBase()): Tick[] {
  const ticks: Tick[] = [];
  for (let i = 0; i < perSymbol; i += 1) {
    for (let s = 0; s < symbols; s += 1) {
      const symbol = `SYM${String(s).padStart(2, "0")}`;
      const quote = i % 4 === 3;
      const price = (100 + s + ((i * 7919 + s * 31) % 1000) / 1000 + 0.000001 * (i % 7)).toFixed(6);
      ticks.push(
        sampleTick({
          source: "e2e",
          symbol,
          kind: quote ? "QUOTE" : "TRADE",
          eventTime: base + i * 250_000 + s,
          sequence: i,
          price,
          size: quote ? 0 : 1 + ((i * 13 + s) % 500),
          bid: quote ? (Number(price) - 0.01).toFixed(6) : null,
          ask: quote ? (Number(price) + 0.01).toFixed(6) : null,
          bidSize: quote ? 100 : null,
          askSize: quote ? 200 : null,
          exchange: i % 2 === 0 ? "XNAS" : null,
          ingestTime: base + i * 250_000 + 1000,
        }),
      );
    }
  }
  return ticks;
}

function defaultBase() {
  return (Math.floor(Date.now() / 60_000) - 120) * 60_000 * 1000;
}

/** Encodes with the subject's latest schema id and produces (key = symbol) in chunks. */
export function produceTicks(s: Scenario, ticks: Tick[]) {
  return produceBySymbol(s.topic.ticks, ticks, (tick) => s.registry.encode(s.tickSchemaId, tick));
}

export type { ConsumerStats };
export { waitFor };
export const stats = (service: RunningService) => service.json<ConsumerStats>("/stats");

/**
 * Waits until the consumer handled exactly `total` records (written plus dead-lettered) with lag 0;
 * resolves its stats then.
 *
 * @example
 *   const final = await allHandled(consumer, good.length + 2, 60_000);
 */
export function allHandled(consumer: RunningService, total: number, timeoutMs: number) {
  return waitFor(
    `${total} records handled and lag 0`,
    async () => {
      const now = await stats(consumer);
      const handled = now.records.written + now.records.deadLettered;
      return handled === total && now.lag.total === 0 ? now : undefined;
    },
    timeoutMs,
    consumer,
  );
}

/**
 * How many decode steps the consumer logged as failed and to be retried, in what it printed after
 * its first `from` characters (`consumer.output().length` before the records went out).
 */
export function decodeRetries(consumer: RunningService, from: number): number {
  return consumer
    .output()
    .slice(from)
    .split("\n")
    .filter((line) => line.includes('"step":"decode"') && line.includes("step failed; retrying"))
    .length;
}

/** Reads every row of a table (paged). */
export async function allRows(db: cassandra.Client, query: string): Promise<cassandra.types.Row[]> {
  const rows: cassandra.types.Row[] = [];
  let pageState: string | undefined;
  for (let page = 0; page < 1000; page += 1) {
    const result = await db.execute(query, [], { fetchSize: 5000, pageState });
    rows.push(...result.rows);
    pageState = result.pageState ?? undefined;
    if (!pageState) break;
  }
  return rows;
}

export async function tickCount(db: cassandra.Client): Promise<number> {
  const result = await db.execute("SELECT COUNT(*) AS n FROM ticks", [], { readTimeout: 30_000 });
  return Number(result.first()?.get("n") ?? 0);
}

/** Identities of stored ticks with how often each occurs (always 1 by construction of the key). */
export async function storedIdentities(db: cassandra.Client): Promise<string[]> {
  const rows = await allRows(db, "SELECT source, symbol, event_time_us, sequence FROM ticks");
  return rows.map(
    (r) => `${r.get("source")}|${r.get("symbol")}|${r.get("event_time_us")}|${r.get("sequence")}`,
  );
}
