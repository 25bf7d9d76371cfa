import { type Bar, type Tick, validate } from "@repo/contracts";
import type { ConsumedRecord, ManualCommitConsumer, PartitionOffset } from "@repo/kafka-node";
import { isRetriable } from "@repo/platform/errors";
import type { Logger } from "@repo/platform/log";
import { backoffDelay, sleep } from "@repo/platform/retry";
import type { Stats } from "@repo/platform/stats";
import { computeBar, minuteStart } from "./bars/bar.ts";
import type { Lateness } from "./bars/lateness.ts";
import { type BatchPlan, latestOf, type MinuteKey, planBatch } from "./batch/plan.ts";
import { boundedAll, type RejectedRow, type TickStore } from "./cassandra/store.ts";
import type { DecodedTick, PoisonReason } from "./tick/decode.ts";

export interface DeadLetter {
  record: ConsumedRecord;
  reason: PoisonReason;
}

export interface RunnerOptions {
  consumer: Pick<ManualCommitConsumer, "poll" | "commit" | "pauseAll" | "resumeAll">;
  /** Returns poison with its reason; throws only transient errors (registry unreachable). */
  decode: (value: Buffer | null) => Promise<DecodedTick>;
  store: TickStore;
  /** Resolves once Kafka acknowledged every dead letter. */
  publishDeadLetters: (letters: DeadLetter[]) => Promise<void>;
  /** Resolves once Kafka acknowledged every bar it could encode, with the bars it could not. */
  publishBars: (bars: Bar[]) => Promise<Bar[]>;
  lateness: Lateness;
  stats: Stats;
  log: Logger;
  maxBatch: number;
  maxConcurrency: number;
  retryMaxDelayMs: number;
}

class Stopped extends Error {}

/** Samples behind the end-to-end latency quantiles (several seconds at 10,000 ticks/s). */
const LATENCY_WINDOW = 65_536;

/**
 * The consume loop: poll a batch, decode it, write ticks, recompute the bars of touched minutes
 * from the stored ticks, dead-letter poison, write bars and latest quotes, then commit.
 *
 * Failures are sorted by whether retrying can help. Data that cannot be decoded, validated, stored
 * or aggregated is dead-lettered record by record with its reason and the batch goes on. Transient
 * failures (timeouts, unavailable, connection loss) pause every partition and retry the step with
 * backoff; meanwhile the loop keeps polling the paused consumer so it stays in its group however
 * long the outage lasts. An offset is committed only when every record below it is in Cassandra
 * or acknowledged on the dead-letter topic.
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
  const endToEnd = stats.latency("endToEndMs", LATENCY_WINDOW);
  const eventToStore = stats.latency("eventToStoreMs", LATENCY_WINDOW);
  /** Records a keep-alive poll returned while a step was retrying; handled next, in order. */
  const pending: ConsumedRecord[] = [];

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
        if (!isRetriable(error)) throw error;
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
        await keepAlive(delay);
      }
    }
  }

  /**
   * Waits `ms` while polling the paused consumer: librdkafka leaves the group when the application
   * does not poll within max.poll.interval.ms, which a long outage would otherwise exceed.
   */
  async function keepAlive(ms: number) {
    const until = performance.now() + ms;
    while (!stopping && performance.now() < until) {
      const polled = performance.now();
      try {
        pending.push(...(await consumer.poll(options.maxBatch)));
      } catch (error) {
        log.debug({ err: error }, "keep-alive poll failed");
      }
      const left = until - performance.now();
      if (performance.now() - polled < 50 && left > 0) await sleep(Math.min(left, 100));
    }
  }

  async function recomputeBars(minutes: MinuteKey[]) {
    return boundedAll(minutes, options.maxConcurrency, async (minute) => ({
      minute,
      trades: await options.store.tradesOf(minute),
    }));
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

  function letterFor(plan: BatchPlan, tick: Tick, reason: PoisonReason): DeadLetter {
    const record = plan.recordOf.get(tick);
    if (!record) throw new Error(`tick ${tick.symbol}@${tick.eventTime} has no source record`);
    return { record, reason };
  }

  function refusedRows<T>(what: string, rows: RejectedRow<T>[]) {
    if (rows.length === 0) return;
    stats.counter(`${what}.refused`).add(rows.length);
    for (const { error } of rows) log.error({ err: error }, `Cassandra refused a ${what} row`);
  }

  /** How late each tick is once durable: from ingest (our pipeline) and from the event (the market). */
  function recordLatencies(ticks: Tick[]) {
    const durableUs = Date.now() * 1000;
    for (const tick of ticks) {
      endToEnd.record((durableUs - tick.ingestTime) / 1000);
      eventToStore.record((durableUs - tick.eventTime) / 1000);
    }
  }

  async function handle(records: ConsumedRecord[]) {
    const started = performance.now();
    stats.counter("records.consumed").add(records.length);
    const decoded = await step("decode", () =>
      Promise.all(records.map((r) => options.decode(r.value))),
    );
    const plan = planBatch(records, decoded, options.lateness);
    const letters: DeadLetter[] = [...plan.deadLetters];

    const refused = await step("writeTicks", () => options.store.writeTicks(plan.ticks));
    const refusedTicks = new Set(refused.map(({ row }) => row));
    for (const { row, error } of refused) {
      letters.push(
        letterFor(plan, row, { code: "cassandra_refused", stage: "store", detail: error.message }),
      );
    }
    const written =
      refused.length === 0 ? plan.ticks : plan.ticks.filter((t) => !refusedTicks.has(t));
    stats.counter("records.written").add(written.length);
    stats.counter("bars.lateTicks").add(plan.lateTicks);

    const bars: Bar[] = [];
    for (const { minute, trades } of await step("recomputeBars", () =>
      recomputeBars(plan.minutes),
    )) {
      const problem = barProblem(minute, () => computeBar(minute.symbol, minute.start, trades));
      if (typeof problem !== "string") {
        if (problem) bars.push(problem);
        continue;
      }
      stats.counter("bars.refused").add();
      const detail = `${problem}; the tick is stored, the bar of ${minute.symbol} at ${new Date(minute.start / 1000).toISOString()} keeps its last value`;
      for (const tick of written) {
        if (tick.kind !== "TRADE" || tick.symbol !== minute.symbol) continue;
        if (minuteStart(tick.eventTime) !== minute.start) continue;
        letters.push(
          letterFor(plan, tick, { code: "bar_out_of_range", stage: "aggregate", detail }),
        );
      }
    }

    await step("deadLetter", () => options.publishDeadLetters(letters));
    stats.counter("records.deadLettered").add(letters.length);
    for (const { record, reason } of letters) {
      stats.counter(`deadLettered.${reason.code}`).add();
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
    refusedRows("bar", await step("writeBars", () => options.store.writeBars(bars)));
    const unpublished = await step("publishBars", () => options.publishBars(bars));
    if (unpublished.length > 0) {
      stats.counter("bars.unpublished").add(unpublished.length);
      log.error(
        { bars: unpublished.length },
        "bars the registry schema cannot encode were not published",
      );
    }
    stats.counter("bars.written").add(bars.length);
    refusedRows(
      "latest",
      await step("writeLatest", () => options.store.writeLatest(latestOf(written))),
    );
    recordLatencies(written);
    commit(plan.commits);
    stats.latency("batchMs").record(performance.now() - started);
  }

  async function run() {
    for (let idle = 0; !stopping; ) {
      let records: ConsumedRecord[];
      try {
        records =
          pending.length > 0
            ? pending.splice(0, options.maxBatch)
            : await consumer.poll(options.maxBatch);
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

/**
 * The bar of a minute, undefined when it has no trades, or why it cannot be represented (a volume
 * or trade count beyond Avro's long, a stored price that is not a decimal(18,6)).
 */
function barProblem(minute: MinuteKey, compute: () => Bar | undefined): Bar | undefined | string {
  let bar: Bar | undefined;
  try {
    bar = compute();
  } catch (error) {
    return (error as Error).message;
  }
  if (!bar) return undefined;
  const checked = validate("Bar", bar);
  if (checked.ok) return bar;
  const issues = checked.issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  return `the bar of ${minute.symbol} cannot be represented (${issues})`;
}
