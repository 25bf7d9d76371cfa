/**
 * The raw Cassandra ceiling's writer, run on Node like the consumer (the bench itself runs on Bun,
 * whose runtime would make the comparison unlike): the bench's ticks written to the `ticks` table
 * in the shape given, nothing else, bound one of two ways:
 * - `store`: with the consumer's own store code (values pre-encoded to the bytes the driver sends);
 * - `bare`: with nothing of ours, as a driver user writes: one prepared INSERT, the driver's own
 *   types (`Long`, `BigDecimal`, `LocalDate`, `Date`) encoded by the driver, unlogged batches per
 *   partition, a fixed number of requests in flight.
 * Generates the ticks before the clock starts, then prints one JSON line: rows/s, its own CPU
 * seconds and Cassandra's over the writes alone.
 *
 *   node dist/bench-ceiling.js '{"keyspace":"…","total":100000,"startUs":…,"spanUs":…,"chunk":2000,"inFlight":4,…}'
 */
import { createCassandraClient } from "@repo/cassandra";
import type { Tick } from "@repo/contracts";
import { cpuSecondsOf } from "@repo/testkit/proc";
import cassandra from "cassandra-driver";
import { createTickStore } from "../src/cassandra/store.ts";
import { createBareWriter } from "./bare-writer.ts";
import { mixedTicks } from "./ticks.ts";

export interface CeilingSpec {
  keyspace: string;
  contactPoints: string[];
  localDc: string;
  total: number;
  startUs: number;
  spanUs: number;
  /** Rows per `writeTicks` call, and how many calls at once. */
  chunk: number;
  inFlight: number;
  maxConcurrency: number;
  batchMaxRows: number;
  /** Cassandra's process, to meter its CPU over the writes. */
  cassandraPid: number | undefined;
  binding: "store" | "bare";
}

export interface CeilingResult {
  rate: number;
  wallSeconds: number;
  writerCpuSeconds: number;
  cassandraCpuSeconds: number | undefined;
}

const spec = JSON.parse(process.argv[2] ?? "{}") as CeilingSpec;
const client = createCassandraClient(
  { CASSANDRA_CONTACT_POINTS: spec.contactPoints, CASSANDRA_LOCAL_DC: spec.localDc },
  { keyspace: spec.keyspace },
);
await client.connect();
const consistency = cassandra.types.consistencies.localQuorum;
const store =
  spec.binding === "bare"
    ? createBareWriter(client, spec)
    : createTickStore({
        client,
        consistency,
        maxConcurrency: spec.maxConcurrency,
        batchMaxRows: spec.batchMaxRows,
      });
const ticks = [...mixedTicks(spec.total, spec.startUs, spec.spanUs, "bench")];
const cassandraBefore = spec.cassandraPid ? cpuSecondsOf(spec.cassandraPid) : undefined;
const cpuBefore = process.cpuUsage();
const started = performance.now();
const writing = new Set<Promise<unknown>>();
for (let i = 0; i < ticks.length; i += spec.chunk) {
  while (writing.size >= spec.inFlight) await Promise.race(writing);
  const chunk: Tick[] = ticks.slice(i, i + spec.chunk);
  const promise = store.writeTicks(chunk);
  writing.add(promise);
  void promise.finally(() => writing.delete(promise));
}
await Promise.all(writing);
const wallSeconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const result: CeilingResult = {
  rate: spec.total / wallSeconds,
  wallSeconds,
  writerCpuSeconds: (cpu.user + cpu.system) / 1e6,
  cassandraCpuSeconds:
    spec.cassandraPid && cassandraBefore !== undefined
      ? cpuSecondsOf(spec.cassandraPid) - cassandraBefore
      : undefined,
};
console.log(JSON.stringify(result));
await client.shutdown();
