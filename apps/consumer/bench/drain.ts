/**
 * The consumer bench's drain: the whole backlog read by fresh consumers in one group, with the
 * rate, batches, CPU per tick (and its ratio to each ceiling), RSS and V8 heap at each tenth, and
 * what the peak RSS is made of; optionally under `node --cpu-prof`, summarised.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describeServices, type RunningService } from "@repo/testkit";
import { rssOf } from "@repo/testkit/proc";
import { type ConsumerStats, stats } from "../src/e2e/harness.ts";
import type { Ceiling, KafkaCeiling } from "./ceiling.ts";
import { cassandraSettled, cpuMeter, fmt, heapOf } from "./meters.ts";
import { summarise } from "./profile.ts";

export interface DrainContext {
  /** Ticks in the backlog. */
  total: number;
  /** The ceilings of the same run, for the ratios. */
  ceilings: readonly Ceiling[];
  /** The Kafka read ceiling of the same run: with the bare driver's, the bare pipeline. */
  kafkaRead?: KafkaCeiling;
  /** Starts one consumer with extra environment and Node flags (stopped by the bench at the end). */
  launch: (env: Record<string, string>, flags: string[]) => Promise<RunningService>;
  /** Where `--cpu-prof` writes when a drain is profiled. */
  profileDir?: string;
}

/**
 * @example
 * const drain = createDrain({ total, ceilings, launch, profileDir });
 * const { rate, peakMb } = await drain("consumer drain", { env: {}, flags: [], profile: true });
 */
export function createDrain({ total, ceilings, kafkaRead, launch, profileDir }: DrainContext) {
  /**
   * Drains the whole topic with `replicas` fresh consumers in one group (the scenario's group and
   * keyspace unless `env` names others) and prints the rate, batches, CPU, RSS by tenth (the
   * largest replica's) and what the first replica's peak RSS is made of; returns the rate and the peak RSS.
   */
  return async (
    label: string,
    {
      env,
      flags,
      profile,
      replicas = 1,
    }: { env: Record<string, string>; flags: string[]; profile: boolean; replicas?: number },
  ) => {
    const started = performance.now();
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
    console.log(
      `${label}: ${fmt(drainRate)} rows/s from its first write (${fmt(withStartup)} including start-up and group join); ` +
        `batches p50 ${first.batches.p50Ms} ms, p99 ${first.batches.p99Ms} ms${replicas > 1 ? " (first replica)" : ""}; ` +
        `${fmt(summed((one) => one.bars.written))} bar writes, ${fmt(summed((one) => one.latest.written))} latest-quote writes (${fmt(summed((one) => one.latest.superseded))} left to a later batch), ${fmt(summed((one) => one.bars.rebuilt))} minutes read back from stored ticks, ` +
        `${fmt(summed((one) => one.commits.resent))} offsets committed again (lost in a rebalance)`,
    );
    for (const ceiling of ceilings) {
      console.log(
        `  ratio to the ceiling (${ceiling.label}): drain ${(drainRate / ceiling.rate).toFixed(2)}×, consumer CPU per tick ${(consumerUs / ceiling.writerUs).toFixed(2)}× the writer's per row (${consumerUs.toFixed(1)} vs ${ceiling.writerUs.toFixed(1)} µs)`,
      );
    }
    const bare = ceilings.find((ceiling) => ceiling.label.startsWith("bare driver"));
    /** The consumer's CPU per tick ÷ a bare pipeline's: the binding's read plus the bare driver's write. */
    let pipelineRatio: number | undefined;
    if (bare && kafkaRead) {
      const pipelineUs = kafkaRead.readerUs + bare.writerUs;
      pipelineRatio = consumerUs / pipelineUs;
      console.log(
        `  taken apart: a bare pipeline spends ${pipelineUs.toFixed(1)} µs per tick (Kafka read ${kafkaRead.readerUs.toFixed(1)} + bare driver write ${bare.writerUs.toFixed(1)}); ` +
          `the consumer ${consumerUs.toFixed(1)} µs = ${pipelineRatio.toFixed(2)}× it, ${(consumerUs - pipelineUs).toFixed(1)} µs for everything of ours ` +
          `(decoding, validation, bars, latest quotes, commits, less what pre-encoded values save the driver)`,
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
    return { rate: drainRate, peakMb: phasePeakMb, consumerUs, pipelineRatio };
  };
}
