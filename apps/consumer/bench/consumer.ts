#!/usr/bin/env bun
/**
 * Consumer benchmark on the local stack, every number from one run on one machine:
 *   1. fills an isolated topic with BENCH_TICKS ticks (default 500,000) of a realistic mix: 300
 *      symbols, a few hot ones with thousands of trades a minute, 1 quote in 4;
 *   2. the raw Cassandra ceiling: the same ticks written to the same table with the same driver and
 *      store code (no Kafka, decoding or bars), twice: in 50,000-row chunks, and in the consumer's
 *      own shape (its default poll size, batches in flight, requests in flight, rows per batch);
 *      and, when a drain follows, the Kafka read ceiling: the backlog read by librdkafka's binding
 *      alone (`kafka-reader.ts`), whose CPU per record plus the bare driver's per row is a bare
 *      pipeline's, against which the drain's CPU per tick is taken apart;
 *   3. the consumer draining the full topic: rows/s, CPU µs per tick of the consumer, Cassandra and
 *      Kafka, and both ratios (rate, CPU per tick) to each ceiling of the same run;
 *   4. the same drain under the low-memory settings (MALLOC_ARENA_MAX=2, an 8 MiB young and a
 *      160 MiB old generation): its rate next to the default's, and its RSS;
 *   5. the same drain by two consumer replicas in one group (what scaling out gives on this machine);
 *   6. end-to-end latency at a steady 2,000 and 10,000 ticks/s POSTed to the real producer: from its
 *      HTTP acknowledgement to the row being readable in Cassandra, percentiles over every probe of
 *      the phase (`steady.ts`), with the CPU per tick of the consumer, producer and stack;
 *   7. the consumer's peak RSS;
 *   8. only when BENCH_PHASES names `spark`: a PySpark Structured Streaming job draining the same
 *      backlog into a keyspace of its own (`spark.ts`), its rate next to the consumer's drain.
 * Loopback only, isolated topics and keyspaces (dropped at the end), bounded in count and time.
 *
 *   bun run bench:consumer                 # BENCH_TICKS=500000 BENCH_STEADY_SECONDS=15
 *   BENCH_PHASES=drain BENCH_CPU_PROFILE=/tmp/prof bun run bench:consumer
 *
 * BENCH_PHASES (default "ceiling,drain,lowmem,replicas,steady"; "spark" only when named) picks what
 * runs; BENCH_CPU_PROFILE=<dir> runs the draining consumer under `node --cpu-prof` and prints where
 * its main thread spent its time;
 * BENCH_NODE_FLAGS passes Node/V8 flags to the consumers it starts (heap limits, GC settings);
 * BENCH_ROUNDS=N (with `ceiling,drain`) repeats the bare driver's ceiling, the Kafka read and a
 * drain N − 1 more times and prints the CPU ratios of each round and their medians (the machine's
 * speed drifts); with `ceiling,drain` the bare driver's ceiling also runs once after the last
 * drain, so each drain's ratio is also printed against the bare driver measured on both sides of it.
 *
 * The phases live beside this file: `ceiling.ts` (and its Node writer `ceiling-writer.ts`),
 * `drain.ts`, `steady.ts`; `meters.ts` measures CPU, Cassandra's quiet and the V8 heap.
 */
import { resolve } from "node:path";
import { Producer } from "@platformatic/kafka";
import { avroTypeOf, type Tick, topicNamed, toWire } from "@repo/contracts";
import { loadConfig, z } from "@repo/platform/config";
import { configOrExit } from "@repo/platform/startup";
import {
  brokers,
  dropIsolated,
  dropKeyspace,
  provisionKeyspace,
  type RunningService,
} from "@repo/testkit";
import { rssOf } from "@repo/testkit/proc";
import type { Schema } from "avsc";
import {
  buildConsumer,
  type Scenario,
  scenario,
  startConsumer,
  startProducer,
  stats,
} from "../src/e2e/harness.ts";
import { type Ceiling, type KafkaCeiling, runCeilings, runKafkaRead } from "./ceiling.ts";
import { createDrain } from "./drain.ts";
import { cassandraSettled, cpuMeter, fmt } from "./meters.ts";
import { sparkDrain } from "./spark.ts";
import { type Percentiles, steadyPhase } from "./steady.ts";
import { mixedTicks, SYMBOLS } from "./ticks.ts";

const PHASES = ["ceiling", "drain", "lowmem", "replicas", "spark", "steady"] as const;
/** The Spark baseline installs PySpark and fetches jars on its first run, so it is asked for by name. */
const DEFAULT_PHASES = PHASES.filter((phase) => phase !== "spark");

/** What the benchmark reads; a bad value exits 2 naming it. */
const config = configOrExit(() =>
  loadConfig({
    BENCH_TICKS: z.coerce.number().int().min(1).max(5_000_000).default(500_000),
    BENCH_STEADY_SECONDS: z.coerce.number().int().min(1).max(120).default(15),
    /**
     * Rounds of the bare driver's ceiling and a drain (with `ceiling,drain`): the machine's speed
     * drifts, so the CPU ratio is printed per round and as their median.
     */
    BENCH_ROUNDS: z.coerce.number().int().min(1).max(10).default(1),
    BENCH_PHASES: z
      .string()
      .default(DEFAULT_PHASES.join(","))
      .transform((text) => text.split(",").map((p) => p.trim()))
      .pipe(z.array(z.enum(PHASES)).min(1)),
    /** A directory: the draining consumer runs under `node --cpu-prof` and its profile is summarised. */
    BENCH_CPU_PROFILE: z.string().min(1).optional(),
    /** Extra Node/V8 flags for every consumer the bench starts, e.g. `--max-old-space-size=128`. */
    BENCH_NODE_FLAGS: z
      .string()
      .default("")
      .transform((text) => text.split(/\s+/).filter(Boolean))
      .pipe(z.array(z.string().startsWith("--", "each flag starts with --"))),
  }),
);
const total = config.BENCH_TICKS;
const steadySeconds = config.BENCH_STEADY_SECONDS;
const rounds = config.BENCH_ROUNDS;
const phases = new Set<string>(config.BENCH_PHASES);
const nodeFlags = config.BENCH_NODE_FLAGS;
const profileDir = config.BENCH_CPU_PROFILE ? resolve(config.BENCH_CPU_PROFILE) : undefined;

const spec = topicNamed("market.ticks").value;
if (spec === "bytes") throw new Error("market.ticks must carry an Avro value");
const tickType = avroTypeOf(spec.schema as Schema);

const wire = (schemaId: number, tick: Tick) => toWire(schemaId, tickType.toBuffer(tick));

/** The middle value of `list` (the mean of the two middle ones for an even count). */
function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2
    ? (sorted[Math.floor(mid)] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function produceAll(s: Scenario, producer: Producer, ticks: Iterable<Tick>) {
  let chunk: { topic: string; key: Buffer; value: Buffer }[] = [];
  const flush = async () => {
    if (chunk.length > 0) await producer.send({ messages: chunk });
    chunk = [];
  };
  for (const tick of ticks) {
    chunk.push({
      topic: s.topic.ticks,
      key: Buffer.from(tick.symbol),
      value: wire(s.tickSchemaId, tick),
    });
    if (chunk.length >= 5000) await flush();
  }
  await flush();
}

await buildConsumer();
const s = await scenario("bench_consumer");
const ceilingKeyspace = `${s.keyspace}_ceiling`;
/** Where the low-memory and two-replica drains write, so each starts from an empty keyspace. */
const lowMemory = { keyspace: `${s.keyspace}_lowmem`, group: `${s.group}_lowmem` };
const twoReplicas = { keyspace: `${s.keyspace}_replicas`, group: `${s.group}_replicas` };
const sparkKeyspace = `${s.keyspace}_spark`;
/** The groups the Kafka read ceilings join, deleted at the end with the others. */
const readGroups: string[] = [];
/** Every service the bench starts: stopped at the end even when a phase fails. */
const startedConsumers: RunningService[] = [];
const launch = async (env: Record<string, string>, flags: string[]) => {
  const consumer = await startConsumer(s, env, flags);
  startedConsumers.push(consumer);
  return consumer;
};
const producer = new Producer({
  clientId: "bench-consumer",
  bootstrapBrokers: brokers,
  idempotent: true,
  acks: -1,
});
try {
  const minuteUs = 60_000_000;
  const spanUs = Math.max(10, Math.ceil(total / 50_000)) * minuteUs;
  // The whole span lies in the past (the consumer dead-letters ticks from the future).
  const startUs = Math.floor(Date.now() / 60_000) * 60_000 * 1000 - spanUs - 30 * minuteUs;

  const started = performance.now();
  // Only the drains read the backlog; steady phases alone start from an empty topic.
  if (["drain", "lowmem", "replicas", "spark"].some((phase) => phases.has(phase))) {
    await produceAll(s, producer, mixedTicks(total, startUs, spanUs, "bench"));
    console.log(
      `filled ${s.topic.ticks} with ${fmt(total)} ticks (${SYMBOLS} symbols, Zipf-like, 1 quote in 4) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }

  const ceilings = phases.has("ceiling")
    ? await runCeilings({ keyspace: ceilingKeyspace, total, startUs, spanUs, nodeFlags })
    : [];
  /** The backlog read by the binding alone, in a group of its own (only when a drain filled it). */
  const readBacklog = (round: number) => {
    const group = `${s.group}_read${round}`;
    readGroups.push(group);
    return runKafkaRead({ topic: s.topic.ticks, group, total, nodeFlags });
  };
  let kafkaRead: KafkaCeiling | undefined;
  if (phases.has("ceiling") && phases.has("drain")) {
    kafkaRead = await readBacklog(1);
  }

  let peakMb = 0;
  const drainOnce = createDrain({ total, ceilings, kafkaRead, launch, profileDir });
  const drain = async (label: string, options: Parameters<typeof drainOnce>[1]) => {
    const result = await drainOnce(label, options);
    peakMb = Math.max(peakMb, result.peakMb);
    return result.rate;
  };

  let drainRate: number | undefined;
  /**
   * Per round: the bare driver's CPU per row just before its drain and the drain's CPU per tick
   * (the next round's ceiling, or one more after the last, is the bare driver's just after it).
   */
  const bracketed: { bareBeforeUs: number; consumerUs: number }[] = [];
  /** Per round: the consumer's CPU per tick ÷ the bare pipeline's. */
  const pipelineRatios: number[] = [];
  const bareRatio = (
    roundCeilings: readonly Ceiling[],
    drained: { consumerUs: number; pipelineRatio?: number | undefined },
  ) => {
    const bare = roundCeilings.find((c) => c.label.startsWith("bare driver"));
    if (bare) bracketed.push({ bareBeforeUs: bare.writerUs, consumerUs: drained.consumerUs });
    if (drained.pipelineRatio !== undefined) pipelineRatios.push(drained.pipelineRatio);
  };
  /** The bare driver's ceiling alone (a round's baseline, or the last round's after its drain). */
  const bareCeiling = async () =>
    (
      await runCeilings({
        keyspace: ceilingKeyspace,
        total,
        startUs,
        spanUs,
        nodeFlags,
        bareOnly: true,
      })
    ).find((c) => c.label.startsWith("bare driver"));
  if (phases.has("drain")) {
    const first = await drainOnce("consumer drain", { env: {}, flags: nodeFlags, profile: true });
    peakMb = Math.max(peakMb, first.peakMb);
    drainRate = first.rate;
    bareRatio(ceilings, first);
  }
  for (let round = 2; round <= rounds && phases.has("ceiling") && phases.has("drain"); round += 1) {
    // The same backlog again, each round beside a fresh bare-driver ceiling, into an empty keyspace.
    const bare = await bareCeiling();
    const roundCeilings = bare ? [bare] : [];
    const roundRead = await readBacklog(round);
    const into = { keyspace: `${s.keyspace}_round${round}`, group: `${s.group}_round${round}` };
    await provisionKeyspace(into.keyspace);
    const again = await createDrain({
      total,
      ceilings: roundCeilings,
      kafkaRead: roundRead,
      launch,
      profileDir,
    })(`consumer drain, round ${round}`, {
      env: { CASSANDRA_KEYSPACE: into.keyspace, CONSUMER_GROUP: into.group },
      flags: nodeFlags,
      profile: false,
    });
    peakMb = Math.max(peakMb, again.peakMb);
    bareRatio(roundCeilings, again);
    await dropKeyspace(into.keyspace);
  }
  const byRound = (list: number[]) =>
    `${list.map((r) => r.toFixed(2)).join(", ")} (median ${median(list).toFixed(2)})`;
  if (bracketed.length > 0) {
    // The machine's speed drifts within a run: the bare driver measured on both sides of each
    // drain, averaged, is a baseline a drift during the drain moves less than the one before it.
    const after = await bareCeiling();
    const bareUs = [...bracketed.slice(1).map((round) => round.bareBeforeUs), after?.writerUs];
    const around = bracketed.flatMap(({ bareBeforeUs, consumerUs }, i) => {
      const afterUs = bareUs[i];
      return afterUs === undefined ? [] : [consumerUs / ((bareBeforeUs + afterUs) / 2)];
    });
    console.log(
      `consumer CPU per tick ÷ the mean of the bare driver's per row just before and just after each drain, by round: ${byRound(around)}; target ≤ 1.5`,
    );
  }
  const ratios = bracketed.map(({ bareBeforeUs, consumerUs }) => consumerUs / bareBeforeUs);
  if (ratios.length > 1) {
    console.log(
      `consumer CPU per tick ÷ the bare driver's per row, by round: ${byRound(ratios)}; target ≤ 1.5`,
    );
    if (pipelineRatios.length > 1) {
      console.log(
        `consumer CPU per tick ÷ the bare pipeline's (Kafka read + bare driver write), by round: ${byRound(pipelineRatios)}`,
      );
    }
  }
  /** The same backlog again into an empty keyspace and group, its rate beside the first drain's. */
  const drainAgain = async (
    into: { keyspace: string; group: string },
    label: string,
    compared: string,
    options: { env?: Record<string, string>; flags: string[]; replicas?: number },
  ) => {
    await provisionKeyspace(into.keyspace);
    const rate = await drain(label, {
      ...options,
      env: { CASSANDRA_KEYSPACE: into.keyspace, CONSUMER_GROUP: into.group, ...options.env },
      profile: false,
    });
    if (drainRate !== undefined) console.log(`  ${compared}: ${(rate / drainRate).toFixed(2)}×`);
    await dropKeyspace(into.keyspace);
  };
  if (phases.has("lowmem")) {
    // Under the low-memory settings the README gives (two malloc arenas are the default now).
    await drainAgain(
      lowMemory,
      "consumer drain, low-memory settings",
      "low-memory drain rate / default drain rate",
      {
        flags: ["--max-semi-space-size=8", "--max-old-space-size=160"],
      },
    );
  }
  if (phases.has("replicas")) {
    // Scaling out on one machine: two processes share the partitions (and the two cores).
    await drainAgain(
      twoReplicas,
      "consumer drain, two replicas in one group",
      "two-replica drain rate / one-replica drain rate",
      { flags: nodeFlags, replicas: 2 },
    );
  }
  if (phases.has("spark")) {
    // The same backlog drained by a Spark user's ticks-only job (no bars or latest quotes).
    const spark = await sparkDrain({ topic: s.topic.ticks, total, keyspace: sparkKeyspace });
    if (drainRate !== undefined) {
      console.log(
        `  consumer drain ÷ Spark drain, from each one's first write: ${(drainRate / spark.rate).toFixed(2)}× (${fmt(drainRate)} vs ${fmt(spark.rate)} rows/s; target ≥ 2×)`,
      );
    }
  }
  const producerService = phases.has("steady") ? await startProducer(s) : undefined;
  if (producerService) startedConsumers.push(producerService);
  for (const rate of phases.has("steady") ? [2_000, 10_000] : []) {
    if (!producerService) break;
    // A fresh process per rate, on a quiet Cassandra.
    const settled = await cassandraSettled();
    const consumer = await launch({}, nodeFlags);
    for (let assigned = false; !assigned; await Bun.sleep(100)) {
      assigned = Object.keys((await stats(consumer)).lag.byPartition).length > 0;
    }
    const before = await stats(consumer);
    const steadyCpu = await cpuMeter({ consumer: consumer.pid, producer: producerService.pid });
    const result = await steadyPhase({
      producer: producerService,
      db: s.db,
      rate,
      seconds: steadySeconds,
      mixed: (count, nowUs, sequence) =>
        [...mixedTicks(count, nowUs, 1, `steady${rate}`)].map((tick, i) => ({
          ...tick,
          sequence: sequence + i,
          eventTime: nowUs,
          ingestTime: nowUs,
        })),
      timeoutMs: 120_000,
    });
    const cpu = steadyCpu();
    peakMb = Math.max(peakMb, rssOf(consumer.pid).peakMb);
    const after = await stats(consumer);
    const ms = (p: Percentiles) =>
      `p50 ${fmt(p.p50)} ms, p90 ${fmt(p.p90)} ms, p99 ${fmt(p.p99)} ms, max ${fmt(p.max)} ms`;
    const ticks = result.achievedPerSecond * steadySeconds;
    console.log(
      `steady ${fmt(rate)} ticks/s posted to the producer for ${steadySeconds} s (achieved ${fmt(result.achievedPerSecond)}/s; Cassandra idle ${settled.toFixed(1)} s before): ` +
        `producer acknowledgement → row readable over all ${fmt(result.samples)} probes ${ms(result.fromAck)}` +
        `${result.missing > 0 ? `; ${result.missing} probes never readable` : ""}`,
    );
    console.log(
      `  from the request being sent: ${ms(result.fromSend)}; ${result.beforeAck} probes readable before their acknowledgement arrived`,
    );
    console.log(
      `  the consumer's own window (last 16,384 ticks, ingestTime → durable): p50 ${after.latency.endToEndMs.p50 ?? "n/a"} ms, p99 ${after.latency.endToEndMs.p99 ?? "n/a"} ms; ` +
        `${fmt(after.batches.count - before.batches.count)} batches, p50 ${after.batches.p50Ms} ms, p99 ${after.batches.p99Ms} ms (poll → commit)`,
    );
    console.log(`  CPU: ${cpu.text}; per tick: ${cpu.perUnit(ticks)}`);
    await consumer.stop();
  }
  if (producerService) await producerService.stop();
  console.log(`consumer peak RSS over every phase: ${fmt(peakMb)} MB`);
} finally {
  for (const consumer of startedConsumers) {
    if (!consumer.ended()) await consumer.stop().catch(() => {});
  }
  await producer.close().catch(() => {});
  await s.db.shutdown().catch(() => {});
  await dropKeyspace(ceilingKeyspace).catch(() => {});
  await dropKeyspace(lowMemory.keyspace).catch(() => {});
  await dropKeyspace(twoReplicas.keyspace).catch(() => {});
  await dropKeyspace(sparkKeyspace).catch(() => {});
  // The backlog topics (hundreds of MB at the default size) and both groups go too.
  await dropIsolated({
    prefix: s.prefix,
    groups: [s.group, lowMemory.group, twoReplicas.group, ...readGroups],
    keyspace: s.keyspace,
  });
}
