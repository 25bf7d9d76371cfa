import type { Tick } from "@repo/contracts";
import type { ConsumedRecord, PartitionOffset } from "@repo/kafka-node";
import { minuteStart } from "../bars/bar.ts";
import type { Lateness } from "../bars/lateness.ts";
import type { DecodedTick, PoisonReason } from "../tick/decode.ts";

/** A (symbol, minute) whose bar must be recomputed. */
export interface MinuteKey {
  symbol: string;
  start: number;
}

/** What one polled batch requires, in the order it must happen before its offsets are committed. */
export interface BatchPlan {
  ticks: Tick[];
  /** The record each tick was decoded from (to dead-letter a tick Cassandra or its bar refuses). */
  recordOf: Map<Tick, ConsumedRecord>;
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
  const minutes = new Map<string, MinuteKey>();
  const commits = new Map<string, PartitionOffset>();
  records.forEach((record, i) => {
    keepHighest(commits, {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset + 1,
    });
    const result = decoded[i];
    if (!result) throw new Error(`record ${i} was not decoded`);
    if (!result.ok) {
      plan.deadLetters.push({ record, reason: result.reason });
      return;
    }
    const tick = result.tick;
    plan.ticks.push(tick);
    plan.recordOf.set(tick, record);
    if (tick.kind === "TRADE") {
      if (lateness.isLate(tick.symbol, tick.eventTime)) plan.lateTicks += 1;
      const start = minuteStart(tick.eventTime);
      minutes.set(`${tick.symbol}|${start}`, { symbol: tick.symbol, start });
    }
    lateness.observe(tick.symbol, tick.eventTime);
  });
  plan.minutes = [...minutes.values()];
  plan.commits = [...commits.values()];
  return plan;
}

/** The newest tick per symbol among `ticks` (what `latest_quotes` must hold after them). */
export function latestOf(ticks: Tick[]): Tick[] {
  const latest = new Map<string, Tick>();
  for (const tick of ticks) {
    const current = latest.get(tick.symbol);
    if (!current || isAfter(tick, current)) latest.set(tick.symbol, tick);
  }
  return [...latest.values()];
}

/** Event-time order of ticks of one symbol: time, then sequence, then source. */
export function isAfter(a: Tick, b: Tick): boolean {
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
  const minutes = new Map<string, MinuteKey>();
  const commits = new Map<string, PartitionOffset>();
  for (const plan of plans) {
    for (const tick of plan.ticks) merged.ticks.push(tick);
    for (const [tick, record] of plan.recordOf) merged.recordOf.set(tick, record);
    for (const letter of plan.deadLetters) merged.deadLetters.push(letter);
    for (const minute of plan.minutes) minutes.set(`${minute.symbol}|${minute.start}`, minute);
    merged.lateTicks += plan.lateTicks;
    for (const commit of plan.commits) keepHighest(commits, commit);
  }
  merged.minutes = [...minutes.values()];
  merged.commits = [...commits.values()];
  return merged;
}

function emptyPlan(): BatchPlan {
  return {
    ticks: [],
    recordOf: new Map(),
    deadLetters: [],
    minutes: [],
    lateTicks: 0,
    commits: [],
  };
}

/** Keeps the highest offset to commit per partition. */
function keepHighest(commits: Map<string, PartitionOffset>, offset: PartitionOffset) {
  const key = `${offset.topic}\u0000${offset.partition}`;
  const current = commits.get(key);
  if (!current || current.offset < offset.offset) commits.set(key, offset);
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
  const minutes = new Map<string, MinuteKey>();
  for (const tick of plan.ticks) {
    const record = plan.recordOf.get(tick);
    if (!record || !keep(record)) continue;
    kept.ticks.push(tick);
    kept.recordOf.set(tick, record);
    if (tick.kind === "TRADE") {
      const start = minuteStart(tick.eventTime);
      minutes.set(`${tick.symbol}|${start}`, { symbol: tick.symbol, start });
    }
  }
  kept.deadLetters = plan.deadLetters.filter((letter) => keep(letter.record));
  kept.minutes = [...minutes.values()];
  kept.lateTicks = plan.lateTicks;
  kept.commits = plan.commits.filter(keep);
  return kept;
}
