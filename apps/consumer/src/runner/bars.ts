import { DAY_US } from "@repo/cassandra";
import { type Bar, validate } from "@repo/contracts";
import type { ConsumedRecord } from "@repo/kafka-node";
import { boundedAll } from "@repo/platform/bounded";
import type { Stats } from "@repo/platform/stats";
import type { Steps } from "@repo/platform/steps";
import { MinuteAggregate, minuteStart } from "../bars/bar.ts";
import type { MinuteBook } from "../bars/book.ts";
import type { BatchPlan, MinuteKey } from "../batch/plan.ts";
import type { TickStore } from "../cassandra/store.ts";
import { METRIC } from "../stats.ts";
import type { ConsumerTick } from "../tick/decode.ts";
import { type Ownership, partitionKey } from "./partitions.ts";

/** A minute a batch touches: its durable trades and the record of the first one. */
interface TouchedMinute {
  minute: MinuteKey;
  trades: ConsumerTick[];
  source: ConsumedRecord | undefined;
}

/** A touched minute of a batch: its trades, and its bar (or why it cannot be represented). */
export interface FoldedMinute {
  minute: MinuteKey;
  trades: ConsumerTick[];
  /**
   * The minute's bar, undefined without standing trades (none, or every one cancelled: see
   * `seen`), or the reason it cannot be represented.
   */
  bar: Bar | undefined | string;
  /** What the minute's aggregate has seen (`MinuteAggregate.seen`): the bar row's version base. */
  seen: number;
}

export interface BarFolderOptions {
  store: Pick<TickStore, "foldTrades" | "newestEventTime">;
  book: MinuteBook;
  ownership: Ownership;
  steps: Steps;
  stats: Stats;
  maxConcurrency: number;
}

/**
 * Folds batches' durable trades into the open minutes' aggregates ({@link MinuteBook}). A minute
 * this member has no aggregate for starts empty when it is fresh: it lies after the newest tick
 * Cassandra held for its symbol-day before this member's first write there (its horizon, learned
 * once per symbol-day before that write); any other (restart, rebalance, a late trade of an evicted
 * minute) is read back from the stored ticks, page by page, after the batch's own ticks are durable.
 *
 * @example
 *   const folder = createBarFolder({ store, book, ownership, steps, stats, maxConcurrency: 32 });
 *   await folder.learnHorizons(plan); // before the batch's ticks are written
 *   for (const { minute, bar } of await folder.fold(plan, written, epoch)) …
 */
export function createBarFolder(options: BarFolderOptions) {
  const { store, book, ownership, steps, stats } = options;
  /** Horizon reads under way, per `symbol|day`: batches that need the same one share it. */
  const horizonReads = new Map<string, Promise<void>>();

  /** Each minute folded page by page as it is read: a huge minute is never a list of trades. */
  async function readBack(minutes: MinuteKey[]) {
    return steps.run("readMinutes", () =>
      boundedAll(minutes, options.maxConcurrency, async (minute) => {
        const aggregate = new MinuteAggregate(minute.symbol, minute.start);
        let problem: string | undefined;
        await store.foldTrades(minute, (trade) => {
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
  }

  return {
    /**
     * Learns the horizon of every symbol-day of `plan` this member does not know yet, before any of
     * its ticks is written (so the horizon is not this member's own writes).
     */
    async learnHorizons(plan: BatchPlan) {
      const reads = new Set<Promise<void>>();
      /** Per symbol, the days of it this call has seen: no string key per tick. */
      const seen = new Map<string, number[]>();
      for (let i = 0; i < plan.ticks.length; i += 1) {
        const { symbol, eventTime } = plan.ticks[i] as ConsumerTick;
        const day = Math.floor(eventTime / DAY_US);
        let days = seen.get(symbol);
        if (!days) {
          days = [];
          seen.set(symbol, days);
        }
        if (days.includes(day)) continue;
        days.push(day);
        const name = book.horizonName(symbol, eventTime);
        if (book.hasHorizon(name)) continue;
        let reading = horizonReads.get(name);
        if (!reading) {
          const partition = partitionKey(plan.records[i] as ConsumedRecord);
          const readEpoch = book.epoch;
          reading = store
            .newestEventTime(symbol, eventTime)
            .then((newest) => book.setHorizon(symbol, eventTime, newest, partition, readEpoch))
            .finally(() => horizonReads.delete(name));
          horizonReads.set(name, reading);
        }
        reads.add(reading);
      }
      if (reads.size > 0) await Promise.all(reads);
    },

    /**
     * The bars of the batch's minutes with its durable trades folded in. Minutes of partitions
     * revoked since `epoch` (while their stored trades were read) are left out: not ours to write.
     */
    async fold(plan: BatchPlan, written: ConsumerTick[], epoch: number): Promise<FoldedMinute[]> {
      const touched = new Map<string, TouchedMinute>();
      /** Per symbol, its touched minutes: no string key per trade. */
      const bySymbol = new Map<string, TouchedMinute[]>();
      for (const minute of plan.minutes) {
        const entry: TouchedMinute = { minute, trades: [], source: undefined };
        touched.set(`${minute.symbol}|${minute.start}`, entry);
        const entries = bySymbol.get(minute.symbol);
        if (entries) entries.push(entry);
        else bySymbol.set(minute.symbol, [entry]);
      }
      // `written` is `plan.ticks` less the rows Cassandra refused, in order: the same ticks when
      // as many (the usual batch), so each trade's record is read by index without a lookup.
      const durable = written.length === plan.ticks.length ? undefined : new Set(written);
      for (let i = 0; i < plan.ticks.length; i += 1) {
        const tick = plan.ticks[i] as ConsumerTick;
        if (tick.kind !== "TRADE" || (durable && !durable.has(tick))) continue;
        const start = minuteStart(tick.eventTime);
        for (const entry of bySymbol.get(tick.symbol) ?? []) {
          if (entry.minute.start !== start) continue;
          entry.trades.push(tick);
          entry.source ??= plan.records[i];
          break;
        }
      }
      const recordOf = (name: string) => touched.get(name)?.source;
      const partitionOf = (minute: MinuteKey) => {
        const record = recordOf(`${minute.symbol}|${minute.start}`);
        return record ? partitionKey(record) : "";
      };
      const rebuild: MinuteKey[] = [];
      for (const minute of plan.minutes) {
        if (book.get(minute.symbol, minute.start)) continue;
        if (book.isFresh(minute.symbol, minute.start)) {
          book.put(new MinuteAggregate(minute.symbol, minute.start), partitionOf(minute));
        } else rebuild.push(minute);
      }
      /** Minutes whose stored trades no aggregate can hold, with why. */
      const broken = new Map<string, string>();
      const gone = new Set<string>();
      if (rebuild.length > 0) {
        const rebuilt = await readBack(rebuild);
        const owned = ownership.ownedSince(epoch);
        rebuild.forEach((minute, i) => {
          const name = `${minute.symbol}|${minute.start}`;
          const record = recordOf(name);
          if (record && !owned(record)) {
            gone.add(name);
            return;
          }
          const { aggregate, problem } = rebuilt[i] as (typeof rebuilt)[number];
          if (problem !== undefined) broken.set(name, problem);
          else book.put(aggregate, partitionOf(minute));
        });
        stats.counter(METRIC.barsRebuilt).add(rebuild.length);
      }
      const result: FoldedMinute[] = [];
      for (const [name, { minute, trades }] of touched) {
        if (gone.has(name)) continue;
        const problem = broken.get(name);
        if (problem !== undefined) {
          result.push({ minute, trades, bar: problem, seen: 0 });
          continue;
        }
        const aggregate =
          book.get(minute.symbol, minute.start) ?? new MinuteAggregate(minute.symbol, minute.start);
        book.touch(minute.symbol, minute.start);
        const bar = foldInto(aggregate, minute, trades);
        result.push({ minute, trades, bar, seen: aggregate.seen });
      }
      return result;
    },
  };
}

/**
 * Folds `trades` into `aggregate` and returns its bar, or why it cannot be represented (a volume or
 * trade count beyond Avro's long, a price that is not a decimal(18,6), a minute past what an
 * aggregate holds: it keeps the bar of the trades it has). Errors here are the data's: never a crash.
 */
function foldInto(aggregate: MinuteAggregate, minute: MinuteKey, trades: ConsumerTick[]) {
  let bar: Bar | undefined;
  try {
    for (const trade of trades) aggregate.add(trade);
    bar = aggregate.bar();
  } catch (error) {
    return (error as Error).message;
  }
  if (!bar) return undefined;
  const checked = validate("Bar", bar);
  if (checked.ok) return bar;
  const issues = checked.issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  return `the bar of ${minute.symbol} cannot be represented (${issues})`;
}
