import type { ConsumedRecord, PartitionOffset } from "@repo/kafka-node";
import { minuteStart } from "../bars/bar.ts";
import type { Lateness } from "../bars/lateness.ts";
import type { ConsumerTick, DecodedTick, PoisonReason } from "../tick/decode.ts";

/** A (symbol, minute) whose bar must be recomputed. */
export interface MinuteKey {
  symbol: string;
  start: number;
}

/** What one polled batch requires, in the order it must happen before its offsets are committed. */
export interface BatchPlan {
  ticks: ConsumerTick[];
  /**
   * The record each tick was decoded from, by index (`records[i]` is `ticks[i]`'s): its partition,
   * and what a tick Cassandra or its bar refuses is dead-lettered as. See {@link sourceOf}.
   */
  records: ConsumedRecord[];
  deadLetters: { record: ConsumedRecord; reason: PoisonReason }[];
  minutes: MinuteKey[];
  lateTicks: number;
  /** Next offset to read per partition: every record below it is handled by this plan. */
  commits: PartitionOffset[];
}

/**
 * Turns decoded records (in partition order) into the work of one batch. Bars come from TRADE ticks
 * only; every trade touches its minute's bar, a late one (its minute already closed: history,
 * backfill, a recovered gap) too, and is counted in `lateTicks`.
 *
 * @example
 *   const plan = planBatch(records, decoded, lateness);
 *   await store.writeTicks(plan.ticks);
 */
export function planBatch(
  records: ConsumedRecord[],
  decoded: DecodedTick[],
  lateness: Lateness,
): BatchPlan {
  const plan = emptyPlan();
  const minutes = new MinuteSet();
  /** The next offset per partition, in first-seen order (a batch holds few partitions). */
  const commits: PartitionOffset[] = [];
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i] as ConsumedRecord;
    keepHighest(commits, record.topic, record.partition, record.offset + 1);
    const result = decoded[i];
    if (!result) throw new Error(`record ${i} was not decoded`);
    if (!result.ok) {
      plan.deadLetters.push({ record, reason: result.reason });
      continue;
    }
    const tick = result.value;
    plan.ticks.push(tick);
    plan.records.push(record);
    if (tick.kind === "TRADE") {
      if (lateness.isLate(tick.symbol, tick.eventTime)) plan.lateTicks += 1;
      minutes.add(tick.symbol, minuteStart(tick.eventTime));
    }
    lateness.observe(tick.symbol, tick.eventTime);
  }
  plan.minutes = minutes.list;
  plan.commits = commits;
  return plan;
}

/** Keeps the highest offset to commit per partition (a new entry for a new partition). */
function keepHighest(commits: PartitionOffset[], topic: string, partition: number, offset: number) {
  for (const commit of commits) {
    if (commit.partition !== partition || commit.topic !== topic) continue;
    if (commit.offset < offset) commit.offset = offset;
    return;
  }
  commits.push({ topic, partition, offset });
}

/**
 * Distinct (symbol, minute) pairs in first-seen order, without a string key per tick: a symbol's
 * ticks in one batch nearly always share a minute or two.
 */
export class MinuteSet {
  readonly list: MinuteKey[] = [];
  private readonly bySymbol = new Map<string, MinuteKey[]>();

  /** The pair's key, added when new. */
  add(symbol: string, start: number): MinuteKey {
    let starts = this.bySymbol.get(symbol);
    if (!starts) {
      starts = [];
      this.bySymbol.set(symbol, starts);
    }
    for (const minute of starts) if (minute.start === start) return minute;
    const minute = { symbol, start };
    starts.push(minute);
    this.list.push(minute);
    return minute;
  }

  get(symbol: string, start: number): MinuteKey | undefined {
    const starts = this.bySymbol.get(symbol);
    if (starts) for (const minute of starts) if (minute.start === start) return minute;
    return undefined;
  }
}

/**
 * The newest tick per symbol among `ticks` (what `latest_quotes` must hold after them), cancels
 * left out: a cancel repeats an old trade, it never becomes a symbol's latest tick.
 */
export function newestBySymbol(ticks: ConsumerTick[]): Map<string, ConsumerTick> {
  const newest = new Map<string, ConsumerTick>();
  for (const tick of ticks) {
    if (tick.cancelled) continue;
    const current = newest.get(tick.symbol);
    if (!current || isAfter(tick, current)) newest.set(tick.symbol, tick);
  }
  return newest;
}

/** Event-time order of ticks of one symbol: time, then sequence, then source. */
export function isAfter(a: ConsumerTick, b: ConsumerTick): boolean {
  if (a.eventTime !== b.eventTime) return a.eventTime > b.eventTime;
  if (a.sequence !== b.sequence) return a.sequence > b.sequence;
  return a.source > b.source;
}

/**
 * Consecutive plans as one (their ticks stored, in poll order): the work of all of them once — a
 * bar per touched minute, a latest quote per symbol — and the highest commit per partition.
 */
export function mergePlans(plans: BatchPlan[]): BatchPlan {
  if (plans.length === 1) return plans[0] as BatchPlan;
  const merged = emptyPlan();
  const minutes = new MinuteSet();
  const commits: PartitionOffset[] = [];
  for (const plan of plans) {
    for (const tick of plan.ticks) merged.ticks.push(tick);
    for (const record of plan.records) merged.records.push(record);
    for (const letter of plan.deadLetters) merged.deadLetters.push(letter);
    for (const minute of plan.minutes) minutes.add(minute.symbol, minute.start);
    merged.lateTicks += plan.lateTicks;
    for (const { topic, partition, offset } of plan.commits)
      keepHighest(commits, topic, partition, offset);
  }
  merged.minutes = minutes.list;
  merged.commits = commits;
  return merged;
}

function emptyPlan(): BatchPlan {
  return {
    ticks: [],
    records: [],
    deadLetters: [],
    minutes: [],
    lateTicks: 0,
    commits: [],
  };
}

/**
 * The part of `plan` whose partitions `keep` accepts (the partitions this member still owns): its
 * ticks, dead letters, touched minutes and commits. Used to drop the work of partitions revoked
 * after their records were polled, which the new owner replays from the committed offset.
 */
export function keepPartitions(
  plan: BatchPlan,
  keep: (at: { topic: string; partition: number }) => boolean,
): BatchPlan {
  const kept = emptyPlan();
  const minutes = new MinuteSet();
  for (let i = 0; i < plan.ticks.length; i += 1) {
    const tick = plan.ticks[i] as ConsumerTick;
    const record = plan.records[i] as ConsumedRecord;
    if (!keep(record)) continue;
    kept.ticks.push(tick);
    kept.records.push(record);
    if (tick.kind === "TRADE") minutes.add(tick.symbol, minuteStart(tick.eventTime));
  }
  kept.deadLetters = plan.deadLetters.filter((letter) => keep(letter.record));
  kept.minutes = minutes.list;
  kept.lateTicks = plan.lateTicks;
  kept.commits = plan.commits.filter(keep);
  return kept;
}

/** Per plan: each tick's record, built on first use (a refusal or a revoke: rare paths). */
const sources = new WeakMap<BatchPlan, Map<ConsumerTick, ConsumedRecord>>();

/**
 * The record `tick` of `plan` was decoded from. The hot path reads `plan.records` by index; this
 * is for the rare paths that hold a tick alone (a row Cassandra refused, a trade whose bar cannot
 * be represented, a revoke mid-batch).
 *
 * @example
 *   const record = sourceOf(plan, refusedTick); // dead-letter it as itself
 */
export function sourceOf(plan: BatchPlan, tick: ConsumerTick): ConsumedRecord | undefined {
  let map = sources.get(plan);
  if (!map) {
    map = new Map();
    for (let i = 0; i < plan.ticks.length; i += 1)
      map.set(plan.ticks[i] as ConsumerTick, plan.records[i] as ConsumedRecord);
    sources.set(plan, map);
  }
  return map.get(tick);
}
