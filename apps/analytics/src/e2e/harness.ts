/**
 * Test harness for the analytics end-to-end tests (Bun only): isolated topics, subjects, keyspace and
 * groups per test; bars produced straight onto the bars topic (or ticks through the real consumer);
 * readers of the analytics tables.
 */
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { avroOptions, type Bar, type Tick } from "@repo/contracts";
import {
  buildApp,
  produceBySymbol,
  provisionIsolated,
  type RunningService,
  stackEnv,
  startService,
  waitFor,
} from "@repo/testkit";
import type cassandra from "cassandra-driver";
import type { AnalyticsStats } from "../stats.ts";

export interface AnalyticsScenario {
  prefix: string;
  keyspace: string;
  env: Record<string, string>;
  topic: { ticks: string; bars: string; indicators: string };
  db: cassandra.Client;
  produceTicks(ticks: Tick[]): Promise<void>;
  produceBars(bars: Bar[]): Promise<void>;
  /** Starts analytics (group `<prefix>analytics` unless `ANALYTICS_GROUP` is given). */
  startAnalytics(extra?: Record<string, string>): Promise<RunningService>;
  startConsumer(extra?: Record<string, string>): Promise<RunningService>;
  close(): Promise<void>;
}

export async function analyticsScenario(name: string): Promise<AnalyticsScenario> {
  await Promise.all([buildApp("analytics"), buildApp("consumer")]);
  const { id, prefix, keyspace, db, release } = await provisionIsolated(name);
  const registry = new SchemaRegistry(
    { host: stackEnv.SCHEMA_REGISTRY_URL },
    { [SchemaType.AVRO]: avroOptions as never },
  );
  const groups = new Set<string>([`${id}-analytics`, `${id}-consumer`]);
  const started: RunningService[] = [];
  const topic = {
    ticks: `${prefix}market.ticks`,
    bars: `${prefix}market.bars.1m`,
    indicators: `${prefix}market.indicators`,
  };
  const ids = {
    ticks: await registry.getLatestSchemaId(`${topic.ticks}-value`),
    bars: await registry.getLatestSchemaId(`${topic.bars}-value`),
  };
  const env = { TOPIC_PREFIX: prefix, CASSANDRA_KEYSPACE: keyspace };
  const produce = (topicName: string, schemaId: number, values: { symbol: string }[]) =>
    produceBySymbol(topicName, values, (value) => registry.encode(schemaId, value), 2000);
  return {
    prefix,
    keyspace,
    env,
    topic,
    db,
    produceTicks: (ticks) => produce(topic.ticks, ids.ticks, ticks),
    produceBars: (bars) => produce(topic.bars, ids.bars, bars),
    async startAnalytics(extra = {}) {
      const group = extra.ANALYTICS_GROUP ?? `${id}-analytics`;
      groups.add(group);
      const service = await startService("analytics", { ...env, ANALYTICS_GROUP: group, ...extra });
      started.push(service);
      return service;
    },
    async startConsumer(extra = {}) {
      const service = await startService("consumer", {
        ...env,
        CONSUMER_GROUP: `${id}-consumer`,
        ...extra,
      });
      started.push(service);
      return service;
    },
    async close() {
      for (const service of started) await service.stop().catch(() => {});
      await release([...groups]);
    },
  };
}

export const stats = (service: RunningService) => service.json<AnalyticsStats>("/stats");

export { waitFor };

/** Waits until analytics committed everything on the bars topic (lag 0 over every partition it owns). */
export async function caughtUp(service: RunningService, consumed: number, timeoutMs = 60_000) {
  return waitFor(
    `analytics consumed ${consumed} bar records with lag 0`,
    async () => {
      const s = await stats(service);
      return s.bars.consumed >= consumed &&
        s.lag.total === 0 &&
        Object.keys(s.lag.byPartition).length > 0
        ? s
        : undefined;
    },
    timeoutMs,
    [service],
  );
}

/** Every stored indicator row as `interval|symbol|start|name` → `value|lower|upper|provisional`. */
export async function storedIndicators(db: cassandra.Client): Promise<Map<string, string>> {
  const rows = new Map<string, string>();
  const read = async (query: string, intervalOf: (row: cassandra.types.Row) => string) => {
    let pageState: string | undefined;
    do {
      const result = await db.execute(query, [], { fetchSize: 5000, pageState });
      for (const row of result.rows) {
        const start = (row.get("bar_start") as Date).getTime() * 1000;
        const key = `${intervalOf(row)}|${row.get("symbol")}|${start}|${row.get("name")}`;
        rows.set(
          key,
          [row.get("value"), row.get("lower"), row.get("upper"), row.get("provisional")]
            .map(text)
            .join("|"),
        );
      }
      pageState = result.pageState ?? undefined;
    } while (pageState);
  };
  const columns =
    "symbol, name, bar_start, CAST(value AS text) AS value, CAST(lower AS text) AS lower, CAST(upper AS text) AS upper, provisional";
  await read(`SELECT ${columns} FROM indicators_1m`, () => "1m");
  await read(`SELECT interval, ${columns} FROM indicators_rollup`, (row) => row.get("interval"));
  return rows;
}

/** Cassandra prints decimals its own way ("1E+2"); compare canonical forms. */
function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "provisional" : "final";
  const s = String(value);
  if (!/^-?\d+(\.\d+)?$/.test(s)) return s;
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

/** Writetime (µs) of each stored 1m indicator row, by `symbol|start|name`. */
export async function writeTimes(db: cassandra.Client): Promise<Map<string, bigint>> {
  const times = new Map<string, bigint>();
  let pageState: string | undefined;
  do {
    const result = await db.execute(
      "SELECT symbol, name, bar_start, WRITETIME(value) AS written FROM indicators_1m",
      [],
      { fetchSize: 5000, pageState },
    );
    for (const row of result.rows)
      times.set(
        `${row.get("symbol")}|${(row.get("bar_start") as Date).getTime() * 1000}|${row.get("name")}`,
        BigInt(row.get("written").toString()),
      );
    pageState = result.pageState ?? undefined;
  } while (pageState);
  return times;
}
