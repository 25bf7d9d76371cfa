import { type Bar, type Tick, validate } from "@repo/contracts";
import type { ConsumedRecord, ManualCommitConsumer, PartitionOffset } from "@repo/kafka-node";
import { isRetriable } from "@repo/platform/errors";
import type { Logger } from "@repo/platform/log";
import { backoffDelay, sleep } from "@repo/platform/retry";
import type { Stats } from "@repo/platform/stats";
import { MinuteAggregate, minuteStart } from "./bars/bar.ts";
import { createMinuteBook } from "./bars/book.ts";
import type { Lateness } from "./bars/lateness.ts";
import {
  type BatchPlan,
  keepPartitions,
  latestOf,
  type MinuteKey,
  mergePlans,
  planBatch,
} from "./batch/plan.ts";
import { boundedAll, type RejectedRow, type TickStore } from "./cassandra/store.ts";
import { boundReason } from "./kafka/dead-letters.ts";
import { METRIC } from "./stats.ts";
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
  /** Polled batches being written at once (their tick writes overlap; the rest stays in order). */
  maxInFlightBatches: number;
  maxConcurrency: number;
  retryMaxDelayMs: number;
  /** How long a final (late) minute stays in memory after a batch last touched it (30 s). */
  finalMinuteGraceMs?: number;
  /** How long a background commit may take to show in Kafka before it counts as lost (3 s). */
  commitSettleMs?: number;
}

class Stopped extends Error {}

/** A record's partition as the book and the commit bookkeeping name it. */
const partitionKey = (record: { topic: string; partition: number }) =>
  `${record.topic}\u0000${record.partition}`;

/** Samples behind the end-to-end latency quantiles (1.6 s at 10,000 ticks/s, 8 s at 2,000). */
const LATENCY_WINDOW = 16_384;

/**
 * The consume loop, pipelined. Each polled batch is decoded and planned in poll order, then its
 * ticks are written at once, overlapping the batches before it (tick rows are idempotent, so their
 * order does not matter). Everything else happens strictly in poll order, after a batch's ticks and
 * after the batches before it finished: its bars are folded, then its dead letters, bar rows, bar
 * records and latest quotes are written together, then its offsets are committed. Consecutive
 * batches whose ticks are durable by then are finished as one. At most `maxInFlightBatches`
 * batches are between poll and commit; a batch after a failed one never commits.
 *
 * Bars are maintained incrementally per open minute ({@link createMinuteBook}). A minute this
 * member has no aggregate for starts empty when no stored trade of it can be missing (it lies after
 * the newest tick Cassandra held for its symbol-day before this member's first write there, read
 * once per symbol-day before that write); otherwise (restart, rebalance, a late trade of an evicted
 * minute) it is read back from the stored ticks after the batch's own ticks are durable.
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
 *   runner.revoked(["market.ticks\u00003"]); // from the rebalance callback
 *   await runner.stop(); // finishes the in-flight batch and commits it
 */
export function createRunner(options: RunnerOptions) {
  const { consumer, stats, log } = options;
  let stopping = false;
  let loop: Promise<void> | undefined;
  /** Steps being retried, with how many batches retry each (tick writes of several may). */
  const failing = new Map<string, number>();
  const uncommitted = new Map<string, PartitionOffset>();
  /** Records a keep-alive poll returned while a step was retrying; handled next, in order. */
  const pending: ConsumedRecord[] = [];
  const book = createMinuteBook(options.lateness, { finalGraceMs: options.finalMinuteGraceMs });
  const endToEnd = stats.latency(METRIC.endToEndMs, LATENCY_WINDOW);
  const eventToStore = stats.latency(METRIC.eventToStoreMs, LATENCY_WINDOW);

  /**
   * Runs `task` until it succeeds or fails for good. `polls` marks steps of the polling loop
   * itself, which keep the member in its group while they wait; write steps leave that to it.
   */
  async function step<T>(name: string, task: () => Promise<T>, polls = false): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await task();
        if (attempt > 0) {
          const others = (failing.get(name) ?? 1) - 1;
          if (others > 0) failing.set(name, others);
          else failing.delete(name);
          log.info({ step: name, attempts: attempt + 1 }, "recovered");
          if (failing.size === 0) consumer.resumeAll();
        }
        return result;
      } catch (error) {
        if (stopping) throw new Stopped();
        if (!isRetriable(error)) throw error;
        if (failing.size === 0) consumer.pauseAll();
        if (attempt === 0) failing.set(name, (failing.get(name) ?? 0) + 1);
        const delay = backoffDelay(attempt, {
          minDelayMs: 200,
          maxDelayMs: options.retryMaxDelayMs,
        });
        log.warn(
          { step: name, attempt, delayMs: Math.round(delay), err: error },
          "step failed; retrying",
        );
        if (polls) await keepAlive(delay);
        else await sleep(delay);
      }
    }
  }

  /**
   * Polls the (paused) consumer for `ms`: librdkafka leaves the group when the application does
   * not poll within max.poll.interval.ms, which a long outage would otherwise exceed.
   */
  async function keepAlive(ms: number) {
    const until = performance.now() + ms;
    do {
      const polled = performance.now();
      try {
        pending.push(...(await consumer.poll(options.maxBatch)));
      } catch (error) {
        log.debug({ err: error }, "keep-alive poll failed");
      }
      const left = until - performance.now();
      if (performance.now() - polled < 50 && left > 0) await sleep(Math.min(left, 100));
    } while (!stopping && performance.now() < until);
  }

  /** Bumped by every revoke; a polled batch remembers the value it was polled under. */
  let revokes = 0;
  /** Per partition: the value of `revokes` its last revoke set. */
  const revokedAt = new Map<string, number>();
  /** Whether `at`'s partition stayed this member's since `epoch` (no revoke in between). */
  const ownedSince = (epoch: number) => (at: { topic: string; partition: number }) =>
    (revokedAt.get(partitionKey(at)) ?? 0) <= epoch;

  /** The newest offset handed to Kafka per owned partition, committed again (waiting) at stop. */
  const requested = new Map<string, PartitionOffset>();
  /** When each partition's offset was last handed to Kafka (a commit takes a moment to show). */
  const sentAt = new Map<string, number>();

  /**
   * Commits in the background while running; waits for the broker when the loop stops. A background
   * commit is fire-and-forget (librdkafka reports no result, and one sent during a rebalance can be
   * lost or applied after a newer one), so {@link reconcile} compares what Kafka holds with what was
   * committed and commits again where they differ.
   */
  function commit(offsets: PartitionOffset[], wait = false, epoch = revokes) {
    const owned = ownedSince(epoch);
    for (const offset of offsets) {
      if (!owned(offset)) continue;
      const key = partitionKey(offset);
      uncommitted.set(key, offset);
      requested.set(key, offset);
    }
    const due = wait ? [...requested.values()] : [...uncommitted.values()];
    if (due.length === 0) return;
    try {
      consumer.commit(due, { wait });
      const now = Date.now();
      for (const offset of due) sentAt.set(partitionKey(offset), now);
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

  function refusedRows<T>(what: "bar" | "latest", rows: RejectedRow<T>[]) {
    if (rows.length === 0) return;
    stats.counter(METRIC.refusedRows(what)).add(rows.length);
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

  /**
   * The aggregates of the batch's minutes with its durable trades folded in. A minute this member
   * has no aggregate for starts empty when it is fresh (see {@link createMinuteBook}); any other is
   * rebuilt from the stored ticks (which include this batch's).
   */
  async function aggregates(plan: BatchPlan, written: Tick[], epoch: number) {
    const touched = new Map<string, { minute: MinuteKey; trades: Tick[] }>();
    for (const minute of plan.minutes)
      touched.set(`${minute.symbol}|${minute.start}`, { minute, trades: [] });
    for (const tick of written) {
      if (tick.kind !== "TRADE") continue;
      touched.get(`${tick.symbol}|${minuteStart(tick.eventTime)}`)?.trades.push(tick);
    }
    const partitionOf = (minute: MinuteKey) => {
      const source = touched.get(`${minute.symbol}|${minute.start}`)?.trades[0];
      const record = source && plan.recordOf.get(source);
      return record ? partitionKey(record) : "";
    };
    const missing = plan.minutes.filter((m) => !book.get(m.symbol, m.start));
    const rebuild: MinuteKey[] = [];
    for (const minute of missing) {
      if (book.isFresh(minute.symbol, minute.start)) {
        book.put(new MinuteAggregate(minute.symbol, minute.start), partitionOf(minute));
      } else rebuild.push(minute);
    }
    /** Minutes whose bar cannot be computed, with why (a stored price that is not a decimal(18,6)). */
    const broken = new Map<string, string>();
    /** Minutes of partitions revoked while their stored trades were read: not ours to write. */
    const gone = new Set<string>();
    if (rebuild.length > 0) {
      // Each minute is folded page by page as it is read: a million-trade minute never exists as a
      // list of trades, only as its aggregate.
      const rebuilt = await step("readMinutes", () =>
        boundedAll(rebuild, options.maxConcurrency, async (minute) => {
          const aggregate = new MinuteAggregate(minute.symbol, minute.start);
          let problem: string | undefined;
          await options.store.foldTrades(minute, (trade) => {
            if (problem !== undefined) return;
            try {
              aggregate.add(trade);
            } catch (error) {
              problem = (error as Error).message;
            }
          });
          return { aggregate, problem };
        }),
      );
      const owned = ownedSince(epoch);
      rebuild.forEach((minute, i) => {
        const name = `${minute.symbol}|${minute.start}`;
        const source = touched.get(name)?.trades[0];
        const record = source && plan.recordOf.get(source);
        if (record && !owned(record)) {
          gone.add(name);
          return;
        }
        const { aggregate, problem } = rebuilt[i] as (typeof rebuilt)[number];
        if (problem !== undefined) {
          broken.set(name, problem);
          return;
        }
        book.put(aggregate, partitionOf(minute));
      });
      stats.counter(METRIC.barsRebuilt).add(rebuild.length);
    }
    const result: { minute: MinuteKey; trades: Tick[]; bar: () => Bar | undefined }[] = [];
    for (const [name, { minute, trades }] of touched) {
      if (gone.has(name)) continue;
      const problem = broken.get(name);
      if (problem !== undefined) {
        result.push({
          minute,
          trades,
          bar: () => {
            throw new Error(problem);
          },
        });
        continue;
      }
      const aggregate =
        book.get(minute.symbol, minute.start) ?? new MinuteAggregate(minute.symbol, minute.start);
      book.touch(minute.symbol, minute.start);
      let failure: string | undefined;
      try {
        for (const trade of trades) aggregate.add(trade);
      } catch (error) {
        // A minute past what an aggregate can hold keeps the bar of the trades it has.
        failure = (error as Error).message;
      }
      result.push({
        minute,
        trades,
        bar: () => {
          if (failure !== undefined) throw new Error(failure);
          return aggregate.bar();
        },
      });
    }
    return result;
  }

  /** Horizon reads under way, per `symbol|day`: batches that need the same one share it. */
  const horizonReads = new Map<string, Promise<void>>();

  /**
   * Learns the horizon of every symbol-day of `plan` this member does not know yet, before any of
   * its ticks is written (so the horizon is not this member's own writes).
   */
  async function learnHorizons(plan: BatchPlan) {
    const reads = new Set<Promise<void>>();
    for (const tick of plan.ticks) {
      const { symbol, eventTime } = tick;
      const name = book.horizonName(symbol, eventTime);
      if (book.hasHorizon(name)) continue;
      let reading = horizonReads.get(name);
      if (!reading) {
        const record = plan.recordOf.get(tick);
        const partition = record ? partitionKey(record) : "";
        const readEpoch = book.epoch;
        reading = options.store
          .newestEventTime(symbol, eventTime)
          .then((newest) => book.setHorizon(symbol, eventTime, newest, partition, readEpoch))
          .finally(() => horizonReads.delete(name));
        horizonReads.set(name, reading);
      }
      reads.add(reading);
    }
    if (reads.size > 0) await Promise.all(reads);
  }

  /** Decodes and plans a polled batch (the part that overlaps the previous batch's writes). */
  async function prepare(records: ConsumedRecord[]) {
    const epoch = revokes;
    stats.counter(METRIC.consumed).add(records.length);
    const decoded = await step(
      "decode",
      () => Promise.all(records.map((r) => options.decode(r.value))),
      true,
    );
    return {
      plan: planBatch(records, decoded, options.lateness),
      started: performance.now(),
      epoch,
    };
  }

  type Prepared = Awaited<ReturnType<typeof prepare>>;
  type StoredTicks = Awaited<ReturnType<typeof storeTicks>>;

  /** Writes a batch's ticks; resolves with those Cassandra stored and letters for those it refused. */
  async function storeTicks(plan: BatchPlan) {
    await step("readHorizons", () => learnHorizons(plan));
    const refused = await step("writeTicks", () => options.store.writeTicks(plan.ticks));
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
   * writes dead letters, bar rows, bar records and latest quotes together, then commits.
   */
  async function finishBatch(
    { plan, started, epoch }: Prepared,
    { written, letters: refusedLetters }: StoredTicks,
  ) {
    const letters: DeadLetter[] = [...plan.deadLetters, ...refusedLetters];
    const bars: Bar[] = [];
    for (const { minute, trades, bar } of await aggregates(plan, written, epoch)) {
      const problem = barProblem(minute, bar);
      if (typeof problem !== "string") {
        if (problem) bars.push(problem);
        continue;
      }
      stats.counter(METRIC.barsRefused).add();
      const detail = `${problem}; the tick is stored, the bar of ${minute.symbol} at ${new Date(minute.start / 1000).toISOString()} keeps its last value`;
      for (const tick of trades) {
        letters.push(
          letterFor(plan, tick, { code: "bar_out_of_range", stage: "aggregate", detail }),
        );
      }
    }
    await Promise.all([
      letters.length > 0 && deadLetter(letters),
      bars.length > 0 && writeBars(bars),
      writeLatest(written),
    ]);
    // Counted once the whole batch is durable (ticks, bars, latest quotes, dead letters), so a
    // reader of /stats that sees every tick written also sees their bars.
    stats.counter(METRIC.written).add(written.length);
    stats.counter(METRIC.lateTicks).add(plan.lateTicks);
    recordLatencies(written);
    book.observeFinished(plan.ticks);
    book.evictFinal();
    commit(plan.commits, false, epoch);
    stats.latency(METRIC.batchMs).record(performance.now() - started);
  }

  async function deadLetter(letters: DeadLetter[]) {
    await step("deadLetter", () => options.publishDeadLetters(letters));
    stats.counter(METRIC.deadLettered).add(letters.length);
    for (const { record, reason } of letters) {
      stats.counter(METRIC.deadLetteredFor(reason.code)).add();
      log.warn(
        {
          partition: record.partition,
          offset: record.offset,
          reason: reason.code,
          detail: boundReason(reason.detail),
        },
        "dead-lettered",
      );
    }
  }

  /** Bar rows and bar records at once: each is versioned by its trade count, so order is free. */
  async function writeBars(bars: Bar[]) {
    const [refused, unpublished] = await Promise.all([
      step("writeBars", () => options.store.writeBars(bars)),
      step("publishBars", () => options.publishBars(bars)),
    ]);
    refusedRows("bar", refused);
    if (unpublished.length > 0) {
      stats.counter(METRIC.barsUnpublished).add(unpublished.length);
      log.error(
        { bars: unpublished.length },
        "bars the registry schema cannot encode were not published",
      );
    }
    stats.counter(METRIC.barsWritten).add(bars.length);
  }

  async function writeLatest(written: Tick[]) {
    const latest = latestOf(written);
    if (latest.length === 0) return;
    refusedRows("latest", await step("writeLatest", () => options.store.writeLatest(latest)));
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
      if (!done && failing.size > 0) await keepAlive(0);
    }
  }

  async function nextRecords(idle: { count: number }): Promise<ConsumedRecord[]> {
    if (pending.length > 0) return pending.splice(0, options.maxBatch);
    try {
      const records = await consumer.poll(options.maxBatch);
      idle.count = 0;
      return records;
    } catch (error) {
      log.warn({ err: error }, "poll failed");
      await sleep(backoffDelay(idle.count++, { maxDelayMs: options.retryMaxDelayMs }));
      return [];
    }
  }

  /** The part of a batch whose partitions this member still owns. */
  function ownedPart({ plan, epoch }: Prepared, stored: StoredTicks) {
    if (epoch === revokes) return { plan, written: stored.written, letters: stored.letters };
    const owned = ownedSince(epoch);
    return {
      plan: keepPartitions(plan, owned),
      written: stored.written.filter((tick) => {
        const record = plan.recordOf.get(tick);
        return record !== undefined && owned(record);
      }),
      letters: stored.letters.filter((letter) => owned(letter.record)),
    };
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
          // Work of partitions revoked since a batch was polled is dropped: the new owner replays
          // it from the committed offset, and a stale aggregate must not re-enter the book.
          const owned = ready.map((b) => ownedPart(b.prepared, b.stored as StoredTicks));
          await finishBatch(
            {
              plan: mergePlans(owned.map((b) => b.plan)),
              started: Math.min(...ready.map((b) => b.prepared.started)),
              epoch: revokes,
            },
            {
              written: owned.flatMap((b) => b.written),
              letters: owned.flatMap((b) => b.letters),
            },
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
    const idle = { count: 0 };
    try {
      while (!stopping) {
        rethrow();
        const records = await nextRecords(idle);
        if (records.length === 0) {
          if (inFlight.length === 0) commit([]);
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
    commit([], true);
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
      revokes += 1;
      for (const key of keys) revokedAt.set(key, revokes);
      book.forgetPartitions(keys);
      // Records a keep-alive poll held for them are the new owner's to read.
      const gone = new Set(keys);
      const kept = pending.filter((record) => !gone.has(partitionKey(record)));
      pending.splice(0, pending.length, ...kept);
      // Another member commits these now; an old offset of ours must not be committed over theirs.
      for (const key of keys) {
        requested.delete(key);
        uncommitted.delete(key);
        sentAt.delete(key);
      }
    },
    /**
     * Commits again every offset of ours that Kafka still does not hold `commitSettleMs` after it was sent:
     * `committed` is what the broker answers now (the `/stats` lag refresh reads it every second).
     * Offsets are only ever those of finished batches, so sending one twice is harmless; a revoked
     * partition is not ours to commit.
     */
    reconcile(committed: { topic: string; partition: number; committed: number }[]) {
      let behind = 0;
      for (const { topic, partition, committed: held } of committed) {
        const key = partitionKey({ topic, partition });
        const ours = requested.get(key);
        if (!ours || held >= ours.offset || uncommitted.has(key)) continue;
        if (Date.now() - (sentAt.get(key) ?? 0) < (options.commitSettleMs ?? 3_000)) continue;
        uncommitted.set(key, ours);
        behind += 1;
      }
      if (behind === 0) return;
      stats.counter(METRIC.commitsResent).add(behind);
      log.warn({ partitions: behind }, "Kafka lost committed offsets; committing them again");
    },
    /** The step that is failing and being retried, if any. */
    failingStep: () => failing.keys().next().value as string | undefined,
    /** Open minutes held in memory. */
    openMinutes: () => book.size,
  };
}

/**
 * The bar of a minute, undefined when it has no trades, or why it cannot be represented (a volume
 * or trade count beyond Avro's long, a stored price that is not a decimal(18,6)).
 */
function barProblem(minute: MinuteKey, compute: () => Bar | undefined): Bar | undefined | string {
  // Errors here are the data's (a price or count beyond what a bar holds): never a crash.
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
