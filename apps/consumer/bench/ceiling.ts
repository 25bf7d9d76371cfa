/**
 * The consumer bench's raw Cassandra ceiling: the bench's ticks written by `ceiling-writer.ts` on
 * Node (bundled like the consumer) to a keyspace of its own: with the consumer's store code in
 * 50,000-row chunks and in the consumer's own shape, and with the bare driver in the consumer's shape; prints each run's rate and CPU per row (writer, Cassandra) and returns
 * them for the drain's ratios.
 */
import { localStack, statusOf } from "@repo/stack";
import { brokers, dropKeyspace, provisionKeyspace, stackEnv } from "@repo/testkit";
import { consumerEnv } from "../src/config.ts";
import { appDir } from "../src/e2e/harness.ts";
import type { CeilingResult, CeilingSpec } from "./ceiling-writer.ts";
import type { KafkaReadResult, KafkaReadSpec } from "./kafka-reader.ts";
import { cassandraSettled, fmt } from "./meters.ts";

/** The consumer's defaults (its config module), so the ceiling can write in the same shape. */
export const CONSUMER_SHAPE = {
  maxBatch: consumerEnv.CONSUMER_MAX_BATCH.parse(undefined),
  inFlightBatches: consumerEnv.CONSUMER_MAX_IN_FLIGHT_BATCHES.parse(undefined),
  maxConcurrency: consumerEnv.CASSANDRA_MAX_CONCURRENCY.parse(undefined),
  batchMaxRows: consumerEnv.CASSANDRA_BATCH_MAX_ROWS.parse(undefined),
  prefetchKbytes: consumerEnv.CONSUMER_PREFETCH_KBYTES.parse(undefined),
  fetchMaxKbytes: consumerEnv.CONSUMER_FETCH_MAX_KBYTES.parse(undefined),
};

/** Bundles a bench script of this app for Node (as the consumer is built), `external` left to node_modules. */
function bundleForNode(entry: string, outfile: string, external: string) {
  const built = Bun.spawnSync(
    ["bun", "build", entry, "--target=node", `--outfile=${outfile}`, "--external", external],
    { cwd: appDir, stderr: "pipe", stdout: "pipe" },
  );
  if (built.exitCode !== 0) throw new Error(`building ${entry}: ${built.stderr}`);
}

/** Runs a bundled bench script on Node with its spec as JSON; returns the JSON line it prints. */
function runOnNode<R>(script: string, spec: unknown, nodeFlags: string[]): R {
  const run = Bun.spawnSync(["node", ...nodeFlags, script, JSON.stringify(spec)], {
    cwd: appDir,
    stderr: "pipe",
    stdout: "pipe",
  });
  if (run.exitCode !== 0) throw new Error(`${script} failed: ${run.stderr}`);
  return JSON.parse(run.stdout.toString().trim()) as R;
}

/** One ceiling shape's result: rows/s and the writer's CPU µs per row. */
export interface Ceiling {
  label: string;
  rate: number;
  writerUs: number;
}

/**
 * Runs the ceiling in both shapes.
 *
 * @example
 * const ceilings = await runCeilings({ keyspace, total, startUs, spanUs, nodeFlags: [] });
 */
export async function runCeilings({
  keyspace: ceilingKeyspace,
  total,
  startUs,
  spanUs,
  nodeFlags,
  bareOnly = false,
}: {
  keyspace: string;
  total: number;
  startUs: number;
  spanUs: number;
  nodeFlags: string[];
  /** Only the bare driver's ceiling (a later round's baseline). */
  bareOnly?: boolean;
}): Promise<Ceiling[]> {
  const ceilings: Ceiling[] = [];
  /** Per ceiling shape: rows/s and the writer's CPU µs per row, for the ratios below. */
  // The writer runs on Node, as the consumer does (this script runs on Bun), bundled like it.
  bundleForNode("./bench/ceiling-writer.ts", "dist/bench-ceiling.js", "cassandra-driver");
  const cassandraPid = (await statusOf(localStack)).find((x) => x.name === "cassandra")?.pid;
  const consumerShape = `${fmt(CONSUMER_SHAPE.maxBatch)}-row polls, ${CONSUMER_SHAPE.inFlightBatches} in flight, ${CONSUMER_SHAPE.maxConcurrency} requests`;
  const shapes: { label: string; chunk: number; inFlight: number; binding: "store" | "bare" }[] = [
    {
      label: `store code, 50,000-row chunks, ${CONSUMER_SHAPE.maxConcurrency} requests in flight`,
      chunk: 50_000,
      inFlight: 1,
      binding: "store",
    },
    {
      label: `store code, the consumer's shape: ${consumerShape}`,
      chunk: CONSUMER_SHAPE.maxBatch,
      inFlight: CONSUMER_SHAPE.inFlightBatches,
      binding: "store",
    },
    {
      label: `bare driver (driver-encoded values, nothing of ours), the consumer's shape`,
      chunk: CONSUMER_SHAPE.maxBatch,
      inFlight: CONSUMER_SHAPE.inFlightBatches,
      binding: "bare",
    },
  ];
  for (const shape of shapes) {
    if (bareOnly && shape.binding !== "bare") continue;
    await provisionKeyspace(ceilingKeyspace);
    const spec: CeilingSpec = {
      keyspace: ceilingKeyspace,
      contactPoints: stackEnv.CASSANDRA_CONTACT_POINTS.split(","),
      localDc: stackEnv.CASSANDRA_LOCAL_DC,
      total,
      startUs,
      spanUs,
      chunk: shape.chunk,
      inFlight: shape.inFlight,
      maxConcurrency: CONSUMER_SHAPE.maxConcurrency,
      batchMaxRows: CONSUMER_SHAPE.batchMaxRows,
      cassandraPid,
      binding: shape.binding,
    };
    const result = runOnNode<CeilingResult>("dist/bench-ceiling.js", spec, nodeFlags);
    const writerUs = (result.writerCpuSeconds * 1e6) / total;
    const cassandraUs = ((result.cassandraCpuSeconds ?? Number.NaN) * 1e6) / total;
    ceilings.push({ label: shape.label, rate: result.rate, writerUs });
    console.log(
      `raw Cassandra ceiling (same table and driver on Node, unlogged batches of ≤ ${CONSUMER_SHAPE.batchMaxRows} rows, small partitions 10 to a batch; ${shape.label}): ${fmt(result.rate)} rows/s`,
    );
    console.log(
      `  CPU over the writes (${result.wallSeconds.toFixed(1)} s): writer ${result.writerCpuSeconds.toFixed(1)} s, cassandra ${(result.cassandraCpuSeconds ?? Number.NaN).toFixed(1)} s; per row: writer ${fmt(writerUs)} µs, cassandra ${fmt(cassandraUs)} µs`,
    );
    // The ceiling's rows would otherwise sit in Cassandra's memtables and be flushed during the
    // drain (memtable or commit-log limits), charging the drain for the ceiling's work.
    await dropKeyspace(ceilingKeyspace);
    console.log(
      `  dropped the ceiling's keyspace; Cassandra idle again after ${(await cassandraSettled()).toFixed(1)} s`,
    );
  }
  return ceilings;
}

/** The Kafka read ceiling: records/s and the reader's CPU µs per record (all threads, main thread). */
export interface KafkaCeiling {
  rate: number;
  readerUs: number;
  mainThreadUs: number;
}

/**
 * Reads the backlog of `topic` with librdkafka's binding alone (`kafka-reader.ts`, on Node, in a
 * fresh group `group`), in the consumer's poll size and fetch settings, and prints its rate and CPU
 * per record: what handing each record to JavaScript costs before any of the consumer's work.
 *
 * @example
 * const read = await runKafkaRead({ topic: s.topic.ticks, group: `${s.group}_read`, total, nodeFlags: [] });
 */
export async function runKafkaRead({
  topic,
  group,
  total,
  nodeFlags,
}: {
  topic: string;
  group: string;
  total: number;
  nodeFlags: string[];
}): Promise<KafkaCeiling> {
  bundleForNode(
    "./bench/kafka-reader.ts",
    "dist/bench-kafka-reader.js",
    "@confluentinc/kafka-javascript",
  );
  const spec: KafkaReadSpec = {
    brokers: brokers.join(","),
    topic,
    group,
    total,
    maxBatch: CONSUMER_SHAPE.maxBatch,
    prefetchKbytes: CONSUMER_SHAPE.prefetchKbytes,
    fetchMaxKbytes: CONSUMER_SHAPE.fetchMaxKbytes,
  };
  const result = runOnNode<KafkaReadResult>("dist/bench-kafka-reader.js", spec, nodeFlags);
  const read: KafkaCeiling = {
    rate: result.rate,
    readerUs: (result.readerCpuSeconds * 1e6) / result.records,
    mainThreadUs: (result.mainThreadCpuSeconds * 1e6) / result.records,
  };
  console.log(
    `Kafka read ceiling (librdkafka's Node binding alone, nothing decoded or written, ${fmt(CONSUMER_SHAPE.maxBatch)}-record polls, the consumer's fetch settings): ${fmt(read.rate)} records/s`,
  );
  console.log(
    `  CPU per record over ${fmt(result.records)} records (${result.wallSeconds.toFixed(1)} s): reader ${read.readerUs.toFixed(1)} µs, of which its main thread ${read.mainThreadUs.toFixed(1)} µs (the binding handing each record to JavaScript)`,
  );
  return read;
}
