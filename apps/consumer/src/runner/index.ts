import type { ConsumedRecord } from "@repo/kafka-node";
import { sleep } from "@repo/platform/retry";
import { createSteps, Stopped } from "@repo/platform/steps";
import { createMinuteBook } from "../bars/book.ts";
import { type BatchPlan, keepPartitions, mergePlans, planBatch, sourceOf } from "../batch/plan.ts";
import type { MinuteBar } from "../cassandra/rows.ts";
import { METRIC } from "../stats.ts";
import type { ConsumerTick } from "../tick/decode.ts";
import { decodeAll, type PoisonReason } from "../tick/decode.ts";
import { createBarFolder } from "./bars.ts";
import { createLatestQuotes } from "./latest.ts";
import { createOffsetLedger } from "./offsets.ts";
import { createOwnership, partitionKey } from "./partitions.ts";
import { createPoller } from "./poller.ts";
import { createSinks } from "./sinks.ts";
import type { DeadLetter, RunnerOptions } from "./types.ts";

export type { DeadLetter, RunnerOptions };

/** A polled batch, decoded and planned, with the ownership epoch it was polled under. */
interface Prepared {
  plan: BatchPlan;
  started: number;
  epoch: number;
}

/** A batch's ticks once durable: those Cassandra stored, and letters for those it refused. */
interface StoredTicks {
  written: ConsumerTick[];
  letters: DeadLetter[];
}

/** A batch between poll and commit. */
interface InFlight {
  prepared: Prepared;
  /** Set once its ticks are durable. */
  stored?: StoredTicks;
  /** Settles (never rejects) when the batch is committed or failed. */
  settled: Promise<void>;
  settle(): void;
}

function letterFor(plan: BatchPlan, tick: ConsumerTick, reason: PoisonReason): DeadLetter {
  const record = sourceOf(plan, tick);
  if (!record) throw new Error(`tick ${tick.symbol}@${tick.eventTime} has no source record`);
  return { record, reason };
}

/**
 * The consume loop, pipelined. Each polled batch is decoded and planned in poll order, then its
 * ticks are written at once, overlapping the batches before it (tick rows are idempotent, so their
 * order does not matter). Everything else happens strictly in poll order, after a batch's ticks and
 * after the batches before it finished: its bars are folded ({@link createBarFolder}), then its dead
 * letters, bar rows, bar records and latest quotes are written together ({@link createSinks}), then
 * its offsets are committed ({@link createOffsetLedger}). Consecutive batches whose ticks are
 * durable by then are finished as one. At most `maxInFlightBatches` batches are between poll and
 * commit; a batch after a failed one never commits.
 *
 * Failures are sorted by whether retrying can help ({@link createSteps}). Data that cannot be
 * decoded, validated, stored or aggregated is dead-lettered record by record with its reason and
 * the batch goes on. Transient failures pause every partition and retry the step with backoff;
 * meanwhile the loop keeps polling the paused consumer ({@link createPoller}) so it stays in its
 * group however long the outage lasts. An offset is committed only when every record below it is
 * in Cassandra or acknowledged on the dead-letter topic. Work of a partition revoked after its
 * batch was polled is dropped ({@link createOwnership}).
 *
 * @example
 *   const runner = createRunner({ consumer, decode, store, publishDeadLetters, publishBars, … });
 *   runner.start();
 *   runner.revoked([{ topic: "market.ticks", partition: 3 }]); // from the rebalance callback
 *   await runner.stop(); // finishes the in-flight batch and commits it
 */
export function createRunner(options: RunnerOptions) {
  const { stats, log } = options;
  let stopping = false;
  const isStopping = () => stopping;
  let loop: Promise<void> | undefined;
  const ownership = createOwnership();
  const book = createMinuteBook(options.lateness, { finalGraceMs: options.finalMinuteGraceMs });
  const poller = createPoller({ ...options, isStopping });
  const steps = createSteps({ ...options, isStopping, keepAlive: poller.keepAlive });
  const ledger = createOffsetLedger({ ...options, ownership });
  const folder = createBarFolder({ ...options, book, ownership, steps });
  const sinks = createSinks({ ...options, steps });
  const latest = createLatestQuotes();

  /** Decodes and plans a polled batch (the part that overlaps the previous batch's writes). */
  async function prepare(records: ConsumedRecord[]): Promise<Prepared> {
    const epoch = ownership.epoch;
    stats.counter(METRIC.consumed).add(records.length);
    const decoded = await steps.run("decode", () => decodeAll(options.decode, records), true);
    return {
      plan: planBatch(records, decoded, options.lateness),
      started: performance.now(),
      epoch,
    };
  }

  async function storeTicks(plan: BatchPlan): Promise<StoredTicks> {
    await steps.run("readHorizons", () => folder.learnHorizons(plan));
    const refused = await steps.run("writeTicks", () => options.store.writeTicks(plan.ticks));
    const refusedTicks = new Set(refused.map(({ row }) => row));
    const letters = refused.map(({ row, error }) =>
      letterFor(plan, row, { code: "cassandra_refused", stage: "store", detail: error.message }),
    );
    const written =
      refused.length === 0 ? plan.ticks : plan.ticks.filter((t) => !refusedTicks.has(t));
    return { written, letters };
  }

  /**
   * The rest of a batch once its ticks are durable, in poll order: folds its trades into bars, then
   * writes dead letters, bar rows, bar records and latest quotes together, then commits. `later` is
   * the ticks of the batches polled after it, still in flight (they may supersede latest quotes).
   */
  async function finishBatch(
    { plan, started, epoch }: Prepared,
    stored: StoredTicks,
    later: ConsumerTick[][],
  ) {
    const { written } = stored;
    const letters: DeadLetter[] = [...plan.deadLetters, ...stored.letters];
    const bars: MinuteBar[] = [];
    for (const { minute, trades, bar, seen } of await folder.fold(plan, written, epoch)) {
      if (typeof bar !== "string") {
        // No bar but something seen: every trade of the minute is cancelled, its row is deleted.
        if (bar || seen > 0) bars.push({ ...minute, bar, seen });
        continue;
      }
      stats.counter(METRIC.barsRefused).add();
      const detail = `${bar}; the tick is stored, the bar of ${minute.symbol} at ${new Date(minute.start / 1000).toISOString()} keeps its last value`;
      for (const tick of trades) {
        letters.push(
          letterFor(plan, tick, { code: "bar_out_of_range", stage: "aggregate", detail }),
        );
      }
    }
    const due = latest.due(written, later);
    stats.counter(METRIC.latestSuperseded).add(latest.waiting);
    await Promise.all([sinks.deadLetter(letters), sinks.writeBars(bars), sinks.writeLatest(due)]);
    latest.written(due);
    // Counted once the whole batch is durable (ticks, bars, latest quotes, dead letters), so a
    // reader of /stats that sees every tick written also sees their bars.
    stats.counter(METRIC.written).add(written.length);
    stats.counter(METRIC.lateTicks).add(plan.lateTicks);
    sinks.recordLatencies(written);
    book.observeFinished(plan.ticks);
    book.evictFinal();
    ledger.commit(plan.commits, false, epoch);
    stats.latency(METRIC.batchMs).record(performance.now() - started);
  }

  /** The part of a batch whose partitions this member still owns. */
  function ownedPart({ plan, epoch }: Prepared, stored: StoredTicks) {
    if (epoch === ownership.epoch) return { plan, ...stored };
    const owned = ownership.ownedSince(epoch);
    return {
      plan: keepPartitions(plan, owned),
      written: stored.written.filter((tick) => {
        const record = sourceOf(plan, tick);
        return record !== undefined && owned(record);
      }),
      letters: stored.letters.filter((letter) => owned(letter.record)),
    };
  }

  /** Waits for `writing`, polling the paused consumer while its steps retry. */
  async function finish(writing: Promise<unknown>) {
    let done = false;
    const settled = writing.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    while (!done) {
      await Promise.race([settled, sleep(100)]);
      if (!done && steps.anyFailing()) await poller.keepAlive(0);
    }
  }

  async function run() {
    /** Batches between poll and commit, in poll order. */
    const inFlight: InFlight[] = [];
    let failure: { error: unknown } | undefined;
    const rethrow = () => {
      if (failure) throw failure.error;
    };
    const fail = (error: unknown) => {
      failure ??= { error };
      // Nothing after a failed batch may commit: its offsets would skip the failed records.
      for (const batch of inFlight.splice(0)) batch.settle();
    };

    /**
     * Finishes, in poll order, every batch whose ticks are durable: consecutive ready batches are
     * finished as one (a backlog then writes each bar and latest quote once, not once per batch).
     * Work of partitions revoked since a batch was polled is dropped: the new owner replays it from
     * the committed offset, and a stale aggregate must not re-enter the book.
     */
    let finishing = false;
    const finishReady = async () => {
      if (finishing) return;
      finishing = true;
      try {
        while (!failure && inFlight[0]?.stored) {
          let count = 0;
          while (inFlight[count]?.stored) count += 1;
          const ready = inFlight.slice(0, count);
          const owned = ready.map((b) => ownedPart(b.prepared, b.stored as StoredTicks));
          await finishBatch(
            {
              plan: mergePlans(owned.map((b) => b.plan)),
              started: Math.min(...ready.map((b) => b.prepared.started)),
              epoch: ownership.epoch,
            },
            { written: owned.flatMap((b) => b.written), letters: owned.flatMap((b) => b.letters) },
            inFlight.slice(count).map((b) => b.prepared.plan.ticks),
          );
          if (failure) break;
          inFlight.splice(0, count);
          for (const batch of ready) batch.settle();
        }
      } catch (error) {
        fail(error);
      } finally {
        finishing = false;
      }
    };

    const startWriting = (prepared: Prepared) => {
      let settle = () => {};
      const settled = new Promise<void>((resolve) => {
        settle = resolve;
      });
      const batch: InFlight = { prepared, settled, settle };
      inFlight.push(batch);
      storeTicks(prepared.plan).then((stored) => {
        batch.stored = stored;
        void finishReady();
      }, fail);
    };

    try {
      while (!stopping) {
        rethrow();
        const records = await poller.next();
        if (records.length === 0) {
          if (inFlight.length === 0) ledger.commit([]);
          continue;
        }
        const prepared = await prepare(records);
        while (inFlight.length >= options.maxInFlightBatches && !failure) {
          await finish((inFlight[0] as InFlight).settled);
        }
        rethrow();
        startWriting(prepared);
      }
      while (inFlight.length > 0 && !failure) await finish((inFlight[0] as InFlight).settled);
      rethrow();
    } catch (error) {
      if (error instanceof Stopped) return;
      throw error;
    }
    ledger.commit([], true);
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
    /** Partitions another member owns now: their open minutes are rebuilt if they come back. */
    revoked(partitions: { topic: string; partition: number }[]) {
      const keys = partitions.map(partitionKey);
      ownership.revoke(keys);
      book.forgetPartitions(keys);
      poller.drop(new Set(keys));
      ledger.forget(keys);
    },
    /** See {@link createOffsetLedger}'s `reconcile` (called from the lag refresh every second). */
    reconcile: ledger.reconcile,
    /** The step that is failing and being retried, if any. */
    failingStep: steps.failingStep,
    /** Open minutes held in memory. */
    openMinutes: () => book.size,
  };
}
