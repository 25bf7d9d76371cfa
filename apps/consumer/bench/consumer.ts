#!/usr/bin/env bun
/**
 * Consumer benchmark on the local stack, every number from one run on one machine:
 *   1. fills an isolated topic with BENCH_TICKS ticks (default 500,000) of a realistic mix: 300
 *      symbols, a few hot ones with thousands of trades a minute, 1 quote in 4;
 *   2. the raw Cassandra ceiling: the same ticks written to the same table with the same driver and
 *      store code (no Kafka, decoding or bars), twice: in 50,000-row chunks, and in the consumer's
 *      own shape (its default poll size, batches in flight, requests in flight, rows per batch);
 *   3. the consumer draining the full topic: rows/s, CPU µs per tick of the consumer, Cassandra and
 *      Kafka, and both ratios (rate, CPU per tick) to each ceiling of the same run;
 *   4. the same drain under the low-memory settings (MALLOC_ARENA_MAX=2, an 8 MiB young and a
 *      160 MiB old generation): its rate next to the default's, and its RSS;
 *   5. the same drain by two consumer replicas in one group (what scaling out gives on this machine);
 *   6. end-to-end latency at a steady 2,000 and 10,000 ticks/s POSTed to the real producer: from its
 *      HTTP acknowledgement to the row being readable in Cassandra, percentiles over every probe of
 *      the phase (`steady.ts`), with the CPU per tick of the consumer, producer and stack;
 *   7. the consumer's peak RSS.
 * Loopback only, isolated topics and keyspaces (dropped at the end), bounded in count and time.
 *
 *   bun run bench:consumer                 # BENCH_TICKS=500000 BENCH_STEADY_SECONDS=15
 *   BENCH_PHASES=drain BENCH_CPU_PROFILE=/tmp/prof bun run bench:consumer
 *
 * BENCH_PHASES (default "ceiling,drain,lowmem,replicas,steady") picks what runs; BENCH_CPU_PROFILE=<dir> runs the
 * draining consumer under `node --cpu-prof` and prints where its main thread spent its time;
 * BENCH_NODE_FLAGS passes Node/V8 flags to the consumers it starts (heap limits, GC settings).
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Producer } from "@platformatic/kafka";
import { avroTypeOf, type Tick, topicNamed, toWire } from "@repo/contracts";
import { loadConfig, z } from "@repo/platform/config";
import { parseExposition } from "@repo/platform/exposition";
import { configOrExit } from "@repo/platform/startup";
import { localStack, statusOf } from "@repo/stack";
import {
  brokers,
  describeServices,
  dropIsolated,
  dropKeyspace,
  provisionKeyspace,
  type RunningService,
  stackEnv,
} from "@repo/testkit";
import type { Schema } from "avsc";
import { consumerEnv } from "../src/config.ts";
import {
  appDir,
  buildConsumer,
  type ConsumerStats,
  type Scenario,
  scenario,
  startConsumer,
  startProducer,
  stats,
} from "../src/e2e/harness.ts";
import type { CeilingResult, CeilingSpec } from "./ceiling-writer.ts";
import { summarise } from "./profile.ts";
import { type Percentiles, steadyPhase } from "./steady.ts";
import { mixedTicks, SYMBOLS } from "./ticks.ts";

const PHASES = ["ceiling", "drain", "lowmem", "replicas", "steady"] as const;

/** What the benchmark reads; a bad value exits 2 naming it. */
const config = configOrExit(() =>
  loadConfig({
    BENCH_TICKS: z.coerce.number().int().min(1).max(5_000_000).default(500_000),
    BENCH_STEADY_SECONDS: z.coerce.number().int().min(1).max(120).default(15),
    BENCH_PHASES: z
      .string()
      .default(PHASES.join(","))
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
const phases = new Set<string>(config.BENCH_PHASES);
const nodeFlags = config.BENCH_NODE_FLAGS;
const profileDir = config.BENCH_CPU_PROFILE ? resolve(config.BENCH_CPU_PROFILE) : undefined;

const spec = topicNamed("market.ticks").value;
if (spec === "bytes") throw new Error("market.ticks must carry an Avro value");
const tickType = avroTypeOf(spec.schema as Schema);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** The consumer's defaults (its config module), so the ceiling can write in the same shape. */
const CONSUMER_SHAPE = {
  maxBatch: consumerEnv.CONSUMER_MAX_BATCH.parse(undefined),
  inFlightBatches: consumerEnv.CONSUMER_MAX_IN_FLIGHT_BATCHES.parse(undefined),
  maxConcurrency: consumerEnv.CASSANDRA_MAX_CONCURRENCY.parse(undefined),
  batchMaxRows: consumerEnv.CASSANDRA_BATCH_MAX_ROWS.parse(undefined),
};

const wire = (schemaId: number, tick: Tick) => toWire(schemaId, tickType.toBuffer(tick));

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

/** CPU seconds (user + system) a process used so far. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU seconds each of the stack's servers (and any extra process) spent between two calls: where
 * the machine's cores went during a phase, and per row or tick of it.
 */
async function cpuMeter(extra: Record<string, number>) {
  const pids: Record<string, number> = { ...extra };
  for (const server of await statusOf(localStack)) {
    if (server.pid !== undefined && server.name !== "registry") pids[server.name] = server.pid;
  }
  const read = () =>
    Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
  const before = read();
  const started = performance.now();
  return () => {
    const wall = (performance.now() - started) / 1000;
    const seconds: Record<string, number> = Object.fromEntries(
      Object.entries(read()).map(([name, s]) => [name, s - (before[name] ?? 0)]),
    );
    const used = Object.entries(seconds);
    const total = used.reduce((sum, [, s]) => sum + s, 0);
    return {
      seconds,
      /** µs of CPU per unit of `count` for each process, e.g. "consumer 31 µs, cassandra 22 µs". */
      perUnit: (count: number) =>
        used.map(([name, s]) => `${name} ${fmt((s * 1e6) / count)} µs`).join(", "),
      text: `${used.map(([name, s]) => `${name} ${s.toFixed(1)} s`).join(", ")} over ${wall.toFixed(1)} s wall (${(total / wall).toFixed(2)} of ${navigator.hardwareConcurrency} cores)`,
    };
  };
}

/** Waits (at most 60 s) until Cassandra uses under a tenth of a core for two seconds running. */
async function cassandraSettled(): Promise<number> {
  const pid = (await statusOf(localStack)).find((server) => server.name === "cassandra")?.pid;
  const started = performance.now();
  if (pid === undefined) return 0;
  for (let quiet = 0; quiet < 2 && performance.now() - started < 60_000; ) {
    const before = cpuSecondsOf(pid);
    await Bun.sleep(1000);
    quiet = cpuSecondsOf(pid) - before < 0.1 ? quiet + 1 : 0;
  }
  return (performance.now() - started) / 1000;
}

function rssOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

/** Where a Node process's memory is, in MB, from its own Prometheus `/metrics` (prom-client defaults). */
async function heapOf(url: string) {
  const families = parseExposition(await (await fetch(`${url}/metrics`)).text());
  const mb = (name: string) => (families.get(name)?.samples[0]?.value ?? 0) / 2 ** 20;
  return {
    heapTotalMb: mb("nodejs_heap_size_total_bytes"),
    heapUsedMb: mb("nodejs_heap_size_used_bytes"),
    externalMb: mb("nodejs_external_memory_bytes"),
  };
}

await buildConsumer();
const s = await scenario("bench_consumer");
const ceilingKeyspace = `${s.keyspace}_ceiling`;
/** Where the low-memory and two-replica drains write, so each starts from an empty keyspace. */
const lowMemory = { keyspace: `${s.keyspace}_lowmem`, group: `${s.group}_lowmem` };
const twoReplicas = { keyspace: `${s.keyspace}_replicas`, group: `${s.group}_replicas` };
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

  let started = performance.now();
  // Only the drains read the backlog; steady phases alone start from an empty topic.
  if (["drain", "lowmem", "replicas"].some((phase) => phases.has(phase))) {
    await produceAll(s, producer, mixedTicks(total, startUs, spanUs, "bench"));
    console.log(
      `filled ${s.topic.ticks} with ${fmt(total)} ticks (${SYMBOLS} symbols, Zipf-like, 1 quote in 4) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }

  /** Per ceiling shape: rows/s and the writer's CPU µs per row, for the ratios below. */
  const ceilings: { label: string; rate: number; writerUs: number }[] = [];
  if (phases.has("ceiling")) {
    // The writer runs on Node, as the consumer does (this script runs on Bun), bundled like it.
    const built = Bun.spawnSync(
      [
        "bun",
        "build",
        "./bench/ceiling-writer.ts",
        "--target=node",
        "--outfile=dist/bench-ceiling.js",
        "--external",
        "cassandra-driver",
      ],
      { cwd: appDir, stderr: "pipe", stdout: "pipe" },
    );
    if (built.exitCode !== 0) throw new Error(`building the ceiling writer: ${built.stderr}`);
    const cassandraPid = (await statusOf(localStack)).find((x) => x.name === "cassandra")?.pid;
    const shapes = [
      {
        label: `50,000-row chunks, ${CONSUMER_SHAPE.maxConcurrency} requests in flight`,
        chunk: 50_000,
        inFlight: 1,
      },
      {
        label: `the consumer's shape: ${fmt(CONSUMER_SHAPE.maxBatch)}-row polls, ${CONSUMER_SHAPE.inFlightBatches} in flight, ${CONSUMER_SHAPE.maxConcurrency} requests`,
        chunk: CONSUMER_SHAPE.maxBatch,
        inFlight: CONSUMER_SHAPE.inFlightBatches,
      },
    ];
    for (const shape of shapes) {
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
      };
      const run = Bun.spawnSync(
        ["node", ...nodeFlags, "dist/bench-ceiling.js", JSON.stringify(spec)],
        { cwd: appDir, stderr: "pipe", stdout: "pipe" },
      );
      if (run.exitCode !== 0) throw new Error(`the ceiling writer failed: ${run.stderr}`);
      const result = JSON.parse(run.stdout.toString().trim()) as CeilingResult;
      const writerUs = (result.writerCpuSeconds * 1e6) / total;
      const cassandraUs = ((result.cassandraCpuSeconds ?? Number.NaN) * 1e6) / total;
      ceilings.push({ label: shape.label, rate: result.rate, writerUs });
      console.log(
        `raw Cassandra ceiling (same table, driver and store code on Node, unlogged batches of ≤ ${CONSUMER_SHAPE.batchMaxRows} rows per partition; ${shape.label}): ${fmt(result.rate)} rows/s`,
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
  }

  let peakMb = 0;
  /**
   * Drains the whole topic with `replicas` fresh consumers in one group (the scenario's group and
   * keyspace unless `env` names others) and prints the rate, batches, CPU, RSS by tenth (the
   * largest replica's) and what the first replica's peak RSS is made of; returns the rate.
   */
  const drain = async (
    label: string,
    {
      env,
      flags,
      profile,
      replicas = 1,
    }: { env: Record<string, string>; flags: string[]; profile: boolean; replicas?: number },
  ) => {
    started = performance.now();
    if (profile && profileDir) mkdirSync(profileDir, { recursive: true });
    const consumers: RunningService[] = [];
    for (let i = 0; i < replicas; i += 1) {
      consumers.push(
        await launch(env, [
          ...flags,
          ...(profile && profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
        ]),
      );
    }
    const consumer = consumers[0] as RunningService;
    const rssNow = () => Math.max(...consumers.map((c) => rssOf(c.pid).rssMb));
    const startedRssMb = rssNow();
    const drainCpu = await cpuMeter(
      Object.fromEntries(
        consumers.map((c, i) => [replicas > 1 ? `consumer ${i + 1}` : "consumer", c.pid]),
      ),
    );
    let firstWriteAt: number | undefined;
    /** RSS when each tenth of the backlog was written: flat, or growing with what it consumed. */
    const rssByTenth: number[] = [];
    /** What RSS is made of at each tenth: a growing heap, Buffers, or native memory. */
    const heapByTenth: Awaited<ReturnType<typeof heapOf>>[] = [];
    /** The V8 heap and external memory when RSS peaked: what the peak is made of. */
    let atPeak: (Awaited<ReturnType<typeof heapOf>> & { rssMb: number }) | undefined;
    let phasePeakMb = 0;
    let allWrittenAt: number | undefined;
    for (;;) {
      const all = await Promise.all(consumers.map(stats));
      const sum = (of: (one: ConsumerStats) => number) => all.reduce((n, one) => n + of(one), 0);
      const written = sum((one) => one.records.written);
      if (firstWriteAt === undefined && written > 0) firstWriteAt = performance.now();
      const rssMb = rssNow();
      if (rssMb > phasePeakMb) atPeak = { rssMb, ...(await heapOf(consumer.url)) };
      phasePeakMb = Math.max(phasePeakMb, rssMb);
      if (rssByTenth.length < Math.floor((written / total) * 10)) {
        const heap = await heapOf(consumer.url);
        while (rssByTenth.length < Math.floor((written / total) * 10)) {
          rssByTenth.push(rssMb);
          heapByTenth.push(heap);
        }
      }
      const deadLettered = sum((one) => one.records.deadLettered);
      if (deadLettered > 0) {
        throw new Error(
          `the consumer dead-lettered ${deadLettered} of the bench's ticks: ${JSON.stringify(all.map((one) => one.deadLettered))}`,
        );
      }
      const lag = sum((one) => one.lag.total);
      if (written >= total && lag === 0) break;
      allWrittenAt = written >= total ? (allWrittenAt ?? performance.now()) : undefined;
      if (allWrittenAt !== undefined && performance.now() - allWrittenAt > 60_000) {
        throw new Error(
          `every tick is written but ${lag} offsets stay uncommitted after 60 s:\n${await describeServices(consumers, { logLines: 60 })}`,
        );
      }
      if (performance.now() - started > 1_800_000)
        throw new Error("consumer did not drain in 30 min");
      await Bun.sleep(500);
    }
    const doneAt = performance.now();
    const drainCpuUsed = drainCpu();
    const consumerUs =
      (Object.entries(drainCpuUsed.seconds)
        .filter(([name]) => name.startsWith("consumer"))
        .reduce((sum, [, seconds]) => sum + seconds, 0) *
        1e6) /
      total;
    const drainRate = total / ((doneAt - (firstWriteAt ?? started)) / 1000);
    const withStartup = total / ((doneAt - started) / 1000);
    const drained = await Promise.all(consumers.map(stats));
    const first = drained[0] as ConsumerStats;
    const summed = (of: (one: ConsumerStats) => number) =>
      drained.reduce((n, one) => n + of(one), 0);
    phasePeakMb = Math.max(phasePeakMb, ...consumers.map((c) => rssOf(c.pid).peakMb));
    peakMb = Math.max(peakMb, phasePeakMb);
    console.log(
      `${label}: ${fmt(drainRate)} rows/s from its first write (${fmt(withStartup)} including start-up and group join); ` +
        `batches p50 ${first.batches.p50Ms} ms, p99 ${first.batches.p99Ms} ms${replicas > 1 ? " (first replica)" : ""}; ` +
        `${fmt(summed((one) => one.bars.written))} bar writes, ${fmt(summed((one) => one.bars.rebuilt))} minutes read back from stored ticks, ` +
        `${fmt(summed((one) => one.commits.resent))} offsets committed again (lost in a rebalance)`,
    );
    for (const ceiling of ceilings) {
      console.log(
        `  ratio to the ceiling (${ceiling.label}): drain ${(drainRate / ceiling.rate).toFixed(2)}×, consumer CPU per tick ${(consumerUs / ceiling.writerUs).toFixed(1)}× the writer's per row`,
      );
    }
    console.log(`  CPU during the drain (after start-up): ${drainCpuUsed.text}`);
    console.log(`  CPU per tick: ${drainCpuUsed.perUnit(total)}`);
    console.log(
      `  consumer RSS${replicas > 1 ? " (the larger replica)" : ""} once started: ${fmt(startedRssMb)} MB; at each tenth of the drain: ${rssByTenth.map((mb) => fmt(mb)).join(", ")} MB (peak ${fmt(phasePeakMb)} MB)`,
    );
    console.log(
      `  at each tenth, V8 heap total / used / external (Buffers), MB: ${heapByTenth.map((h) => `${fmt(h.heapTotalMb)}/${fmt(h.heapUsedMb)}/${fmt(h.externalMb)}`).join(", ")}`,
    );
    if (atPeak) {
      const { rssMb, heapTotalMb, heapUsedMb, externalMb } = atPeak;
      console.log(
        `  at the drain's peak RSS ${fmt(rssMb)} MB: V8 heap ${fmt(heapTotalMb)} MB (${fmt(heapUsedMb)} MB live or not yet collected), ` +
          `external ${fmt(externalMb)} MB (Buffers), the rest ${fmt(rssMb - heapTotalMb - externalMb)} MB (code, librdkafka's queues, allocator)`,
      );
    }

    for (const one of consumers) await one.stop();
    // The next phase must not pay for this one's flushes and compactions.
    console.log(`  Cassandra idle again after ${(await cassandraSettled()).toFixed(1)} s`);
    if (profile && profileDir) {
      const newest = readdirSync(profileDir)
        .filter((f) => f.endsWith(".cpuprofile"))
        .sort()
        .at(-1);
      if (newest) {
        const cpuProfile = JSON.parse(readFileSync(join(profileDir, newest), "utf8"));
        console.log(
          `CPU profile of the drain (${join(profileDir, newest)}):\n${summarise(cpuProfile)}`,
        );
      }
    }
    return drainRate;
  };

  let drainRate: number | undefined;
  if (phases.has("drain")) {
    drainRate = await drain("consumer drain", { env: {}, flags: nodeFlags, profile: true });
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
    // Under the low-memory settings the README gives.
    await drainAgain(
      lowMemory,
      "consumer drain, low-memory settings",
      "low-memory drain rate / default drain rate",
      {
        env: { MALLOC_ARENA_MAX: "2" },
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
  // The backlog topics (hundreds of MB at the default size) and both groups go too.
  await dropIsolated({
    prefix: s.prefix,
    groups: [s.group, lowMemory.group, twoReplicas.group],
    keyspace: s.keyspace,
  });
}
