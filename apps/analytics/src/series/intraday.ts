// The intraday half of a session: 1m and its 5m, 15m and 1h rollups, cold at 00:00 UTC.
import { type CarriedState, emptyState, indicatorsAt } from "../indicators/compute.ts";
import type { IndicatorSpec } from "../indicators/specs.ts";
import { rowSignature } from "./daily.ts";
import {
  combine,
  INTERVALS,
  INTRADAY_INTERVALS,
  type IntradayInterval,
  type MinuteBar,
} from "./rollup.ts";
import {
  type ClosedTest,
  dayOf,
  type IndicatorRow,
  type IntervalSeries,
  type Session,
  type SessionVolumes,
} from "./session.ts";

/** Index of the first element whose start is ≥ `start` (bars sorted by start). */
export function lowerBound(bars: readonly { start: number }[], start: number): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((bars[mid] as { start: number }).start < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Empty series for each intraday interval. */
export const emptyIntraday = () =>
  Object.fromEntries(
    INTRADAY_INTERVALS.map((name) => [
      name,
      { bars: [], states: [], values: [], emitted: new Map() },
    ]),
  ) as unknown as Record<IntradayInterval, IntervalSeries>;

/**
 * A previous session's volume per interval and bucket offset within its day (for `rvol<N>`).
 *
 * @example
 *   sessionVolumes(previousDayBars)["5m"].get(0); // volume of that day's first 5 minutes
 */
export function sessionVolumes(minutes: readonly MinuteBar[]): SessionVolumes {
  const volumes = Object.fromEntries(
    INTRADAY_INTERVALS.map((name) => [name, new Map<number, bigint>()]),
  ) as unknown as SessionVolumes;
  for (const bar of minutes) {
    const offset = bar.start - dayOf(bar.start);
    for (const name of INTRADAY_INTERVALS) {
      const bucket = Math.floor(offset / INTERVALS[name]) * INTERVALS[name];
      volumes[name].set(bucket, (volumes[name].get(bucket) ?? 0n) + bar.volume);
    }
  }
  return volumes;
}

/** The row of `value` unless it was last emitted with the same value and flag (then marks it). */
function changedRow(
  session: Session,
  interval: IntradayInterval,
  bar: MinuteBar,
  [name, value]: [string, IndicatorRow["value"]],
  provisional: boolean,
): IndicatorRow | undefined {
  const emitted = session.series[interval].emitted;
  const key = `${bar.start}|${name}`;
  const sig = rowSignature(value, provisional);
  if (emitted.get(key) === sig) return undefined;
  emitted.set(key, sig);
  return {
    symbol: session.symbol,
    interval,
    start: bar.start,
    day: session.day,
    name,
    value,
    provisional,
  };
}

/** Recomputes `interval` from bar index `from`; returns the rows that changed. */
export function recomputeInterval(
  specs: readonly IndicatorSpec[],
  session: Session,
  interval: IntradayInterval,
  from: number,
  closed: ClosedTest,
): IndicatorRow[] {
  const s = session.series[interval];
  const inputs = s.bars;
  for (let i = from; i < inputs.length; i += 1) {
    const previous = i === 0 ? emptyState() : (s.states[i - 1] as CarriedState);
    const offset = (inputs[i] as MinuteBar).start - session.day;
    const baseline = (count: number) => {
      if (session.history.length < count) return undefined;
      let sum = 0n;
      for (let k = 0; k < count; k += 1) sum += session.history[k]?.[interval].get(offset) ?? 0n;
      return sum;
    };
    const { values, state } = indicatorsAt(specs, inputs, i, previous, baseline);
    s.states[i] = state;
    s.values[i] = values;
  }
  // Rows from `from` on, plus the bar before it (it may have stopped being the last, open one).
  const rows: IndicatorRow[] = [];
  for (let i = Math.max(0, from - 1); i < inputs.length; i += 1) {
    const bar = inputs[i] as MinuteBar;
    const provisional = i === inputs.length - 1 && !closed(interval, bar);
    for (const entry of s.values[i] ?? []) {
      const row = changedRow(session, interval, bar, entry, provisional);
      if (row) rows.push(row);
    }
  }
  return rows;
}

/** Rebuilds every intraday interval from the session's minutes; returns all rows that changed. */
export function rebuildIntraday(
  specs: readonly IndicatorSpec[],
  session: Session,
  closed: ClosedTest,
): IndicatorRow[] {
  const ordered = [...session.minutes.values()].sort((a, b) => a.start - b.start);
  const rows: IndicatorRow[] = [];
  for (const interval of INTRADAY_INTERVALS) {
    const step = INTERVALS[interval];
    const buckets = new Map<number, MinuteBar[]>();
    for (const bar of ordered) {
      const start = Math.floor(bar.start / step) * step;
      const bucket = buckets.get(start);
      if (bucket) bucket.push(bar);
      else buckets.set(start, [bar]);
    }
    const s = session.series[interval];
    s.bars = [...buckets].map(([start, members]) =>
      interval === "1m" ? (members[0] as MinuteBar) : combine(start, members),
    );
    s.states = s.bars.map(() => emptyState());
    s.values = s.bars.map(() => new Map());
    rows.push(...recomputeInterval(specs, session, interval, 0, closed));
  }
  return rows;
}

/**
 * Puts a new version of the minute at `minuteStart` (already in `session.minutes`) into each
 * interval's bucket and recomputes from that bucket on; returns the rows that changed.
 */
export function applyMinute(
  specs: readonly IndicatorSpec[],
  session: Session,
  minuteStart: number,
  closed: ClosedTest,
): IndicatorRow[] {
  const rows: IndicatorRow[] = [];
  for (const interval of INTRADAY_INTERVALS) {
    const index = rebuildBucket(session, interval, minuteStart);
    rows.push(...recomputeInterval(specs, session, interval, index, closed));
  }
  return rows;
}

/** Rebuilds the bucket of `minuteStart` in `interval`; returns its index. */
function rebuildBucket(session: Session, interval: IntradayInterval, minuteStart: number): number {
  const step = INTERVALS[interval];
  const start = Math.floor(minuteStart / step) * step;
  const members: MinuteBar[] = [];
  for (let t = start; t < start + step; t += INTERVALS["1m"]) {
    const bar = session.minutes.get(t);
    if (bar) members.push(bar);
  }
  const s = session.series[interval];
  const index = lowerBound(s.bars, start);
  const rolled = interval === "1m" ? (members[0] as MinuteBar) : combine(start, members);
  if (s.bars[index]?.start === start) s.bars[index] = rolled;
  else {
    s.bars.splice(index, 0, rolled);
    s.states.splice(index, 0, emptyState());
    s.values.splice(index, 0, new Map());
  }
  return index;
}

/** Rows of each interval's last bar whose interval closed since it was written provisional. */
export function closeDueIntraday(session: Session, closed: ClosedTest): IndicatorRow[] {
  const rows: IndicatorRow[] = [];
  for (const interval of INTRADAY_INTERVALS) {
    const s = session.series[interval];
    const last = s.bars[s.bars.length - 1];
    if (!last || !closed(interval, last)) continue;
    for (const entry of s.values[s.bars.length - 1] ?? []) {
      const row = changedRow(session, interval, last, entry, false);
      if (row) rows.push(row);
    }
  }
  return rows;
}
