/**
 * How the store splits its work: rows grouped by partition (the bounded number of requests at
 * once is `boundedAll` from `@repo/platform/bounded`).
 */
import { DAY_US } from "@repo/cassandra";
import type { ConsumerTick } from "../tick/decode.ts";

/** `rows` grouped by `keyOf`, in first-seen order. */
export function groupBy<T>(rows: T[], keyOf: (row: T) => string): Iterable<T[]> {
  const groups = new Map<string, T[]>();
  for (const record of rows) {
    const key = keyOf(record);
    const group = groups.get(key);
    if (group) group.push(record);
    else groups.set(key, [record]);
  }
  return groups.values();
}

/**
 * Ticks grouped by partition (symbol, UTC day) without a string key per tick: by symbol, then by
 * day number (a batch's ticks of one symbol nearly always share a day).
 */
export function byDay(ticks: ConsumerTick[]): ConsumerTick[][] {
  const bySymbol = new Map<string, { day: number; ticks: ConsumerTick[] }[]>();
  const groups: ConsumerTick[][] = [];
  for (const tick of ticks) {
    const day = Math.floor(tick.eventTime / DAY_US);
    let days = bySymbol.get(tick.symbol);
    if (!days) {
      days = [];
      bySymbol.set(tick.symbol, days);
    }
    let group: { day: number; ticks: ConsumerTick[] } | undefined;
    for (const candidate of days) if (candidate.day === day) group = candidate;
    if (!group) {
      group = { day, ticks: [] };
      days.push(group);
      groups.push(group.ticks);
    }
    group.ticks.push(tick);
  }
  return groups;
}
