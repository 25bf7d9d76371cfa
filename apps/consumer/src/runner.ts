import type { Bar } from "@repo/contracts";
import type { ConsumedRecord, ManualCommitConsumer, PartitionOffset } from "@repo/kafka-node";
import type { Logger } from "@repo/platform/log";
import { backoffDelay, sleep } from "@repo/platform/retry";
import type { Stats } from "@repo/platform/stats";
import { computeBar } from "./bars/bar.ts";
import type { Lateness } from "./bars/lateness.ts";
import { type BatchPlan, planBatch } from "./batch/plan.ts";
import { boundedAll, type TickStore } from "./cassandra/store.ts";
import type { DecodedTick, PoisonReason } from "./tick/decode.ts";

export interface DeadLetter {
  record: ConsumedRecord;
  reason: PoisonReason;
}

export interface RunnerOptions {
  consumer: Pick<ManualCommitConsumer, "poll" | "commit" | "pauseAll" | "resumeAll">;
  decode: (value: Buffer | null) => Promise<DecodedTick>;
  store: TickStore;
  /** Resolves once Kafka acknowledged every dead letter. */
  publishDeadLetters: (letters: DeadLetter[]) => Promise<void>;
  /** Resolves once Kafka acknowledged every bar. */
  publishBars: (bars: Bar[]) => Promise<void>;
  lateness: Lateness;
  stats: Stats;
  log: Logger;
  maxBatch: number;
  maxConcurrency: number;
  retryMaxDelayMs: number;
}

class Stopped extends Error {}

/**
 * The consume loop: poll a batch, decode it, dead-letter poison, write ticks, recompute the bars
 * of touched minutes from the stored ticks, write latest quotes, then commit. Every step retries
 * with backoff until it succeeds (partitions paused meanwhile), so an offset is committed only
 * when every record below it is in Cassandra or acknowledged on the dead-letter topic.
 *
 * @example
 *   const runner = createRunner({ consumer, decode, store, publishDeadLetters, publishBars, … });
 *   runner.start();
 *   await runner.stop(); // finishes the in-flight batch and commits it
 */
export function createRunner(options: RunnerOptions) {
  const { consumer, stats, log } = options;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let failing: string | undefined;
  const uncommitted = new Map<string, PartitionOffset>();

  async function step<T>(name: string, task: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await task();
        if (failing !== undefined) {
          log.info({ step: name, attempts: attempt + 1 }, "recovered; resuming consumption");
          failing = undefined;
          consumer.resumeAll();
        }
        return result;
      } catch (error) {
        if (stopping) throw new Stopped();
        if (failing === undefined) consumer.pauseAll();
        failing = name;
        const delay = backoffDelay(attempt, {
          minDelayMs: 200,
          maxDelayMs: options.retryMaxDelayMs,
        });
        log.warn(
          { step: name, attempt, delayMs: Math.round(delay), err: error },
          "step failed; retrying",
        );
        await sleep(delay);
      }
    }
  }

  async function recomputeBars(plan: BatchPlan): Promise<Bar[]> {
    const bars = await boundedAll(plan.minutes, options.maxConcurrency, async (minute) =>
      computeBar(minute.symbol, minute.start, await options.store.tradesOf(minute)),
    );
    return bars.filter((bar): bar is Bar => bar !== undefined);
  }

  function commit(offsets: PartitionOffset[]) {
    for (const offset of offsets)
      uncommitted.set(`${offset.topic}\u0000${offset.partition}`, offset);
    if (uncommitted.size === 0) return;
    try {
      consumer.commit([...uncommitted.values()]);
      uncommitted.clear();
    } catch (error) {
      log.warn({ err: error }, "offset commit failed; will retry with the next batch");
    }
  }

  async function handle(records: ConsumedRecord[]) {
    const started = performance.now();
    stats.counter("records.consumed").add(records.length);
    const decoded = await step("decode", () =>
      Promise.all(records.map((r) => options.decode(r.value))),
    );
    const plan = planBatch(records, decoded, options.lateness);
    await step("deadLetter", () => options.publishDeadLetters(plan.deadLetters));
    stats.counter("records.deadLettered").add(plan.deadLetters.length);
    for (const { record, reason } of plan.deadLetters) {
      log.warn(
        {
          partition: record.partition,
          offset: record.offset,
          reason: reason.code,
          detail: reason.detail,
        },
        "dead-lettered",
      );
    }
    await step("writeTicks", () => options.store.writeTicks(plan.ticks));
    stats.counter("records.written").add(plan.ticks.length);
    stats.counter("bars.lateTicks").add(plan.lateTicks);
    const bars = await step("recomputeBars", () => recomputeBars(plan));
    await step("writeBars", () => options.store.writeBars(bars));
    await step("publishBars", () => options.publishBars(bars));
    stats.counter("bars.written").add(bars.length);
    await step("writeLatest", () => options.store.writeLatest(plan.latest));
    commit(plan.commits);
    stats.latency("batchMs").record(performance.now() - started);
  }

  async function run() {
    for (let idle = 0; !stopping; ) {
      let records: ConsumedRecord[];
      try {
        records = await consumer.poll(options.maxBatch);
        idle = 0;
      } catch (error) {
        log.warn({ err: error }, "poll failed");
        await sleep(backoffDelay(idle++, { maxDelayMs: options.retryMaxDelayMs }));
        continue;
      }
      if (records.length === 0) {
        commit([]);
        continue;
      }
      try {
        await handle(records);
      } catch (error) {
        if (error instanceof Stopped) break;
        throw error;
      }
    }
    commit([]);
  }

  return {
    start() {
      loop = run().catch((error) => {
        log.fatal({ err: error }, "consume loop crashed");
        process.exit(1);
      });
    },
    /** Finishes (or, if its sink is down, abandons uncommitted) the in-flight batch. */
    async stop() {
      stopping = true;
      await loop;
    },
    /** The step that is failing and being retried, if any. */
    failingStep: () => failing,
  };
}
