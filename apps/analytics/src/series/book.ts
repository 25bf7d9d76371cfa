import {
  type CarriedState,
  emptyState,
  type IndicatorValue,
  indicatorsAt,
} from "../indicators/compute.ts";
import type { IndicatorSpec } from "../indicators/specs.ts";
import {
  changedDaily,
  type DailySeries,
  historyLookbackDays,
  openDailySeries,
  replaceEarlierDay,
  rowSignature,
  updateDaily,
} from "./daily.ts";
import {
  combine,
  DAY_US,
  INTERVALS,
  INTRADAY_INTERVALS,
  type Interval,
  type IntradayInterval,
  type MinuteBar,
} from "./rollup.ts";

/** One indicator value at one bar of one interval: a row of `indicators_1m` / `indicators_rollup`. */
export interface IndicatorRow {
  symbol: string;
  interval: Interval;
  /** Start of the bar (µs), and of its UTC day. */
  start: number;
  day: number;
  name: string;
  value: IndicatorValue;
  /** The bar's interval is still open (its values move with each update of the bar). */
  provisional: boolean;
}

interface IntervalSeries {
  bars: MinuteBar[];
  /** State carried after each bar (recursive indicators). */
  states: CarriedState[];
  values: Map<string, IndicatorValue>[];
  /** What was last emitted per `start|name`, so only changed rows are written again. */
  emitted: Map<string, string>;
}

/** A previous session's volume per interval and bucket offset within the day (relative volume). */
type SessionVolumes = Record<IntradayInterval, Map<number, bigint>>;

interface Session {
  symbol: string;
  day: number;
  /** The symbol's previous sessions, newest first. */
  history: SessionVolumes[];
  minutes: Map<number, MinuteBar>;
  series: Record<IntradayInterval, IntervalSeries>;
  daily?: DailySeries;
  touched: number;
}

/** The UTC day (µs at 00:00) of a time in µs. */
export const dayOf = (micros: number) => Math.floor(micros / DAY_US) * DAY_US;

const signature = rowSignature;

const sameBar = (a: MinuteBar, b: MinuteBar) =>
  a.open === b.open &&
  a.high === b.high &&
  a.low === b.low &&
  a.close === b.close &&
  a.volume === b.volume &&
  a.vwap === b.vwap &&
  a.trades === b.trades;

/** Index of the first element whose start is ≥ `start` (bars sorted by start). */
function lowerBound(bars: readonly { start: number }[], start: number): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((bars[mid] as { start: number }).start < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The indicators of every symbol's sessions (a session is a symbol's UTC day: every indicator
 * starts cold at 00:00 UTC and warms up again), for 1m and the 5m, 15m and 1h rollups, kept in
 * memory for the sessions being updated.
 *
 * A 1-minute bar is a version: one with fewer trades than the bar held is stale and ignored (the
 * rule `bars_1m` follows); anything else replaces it. A replaced bar recomputes its buckets and
 * everything after them in each interval, and only the rows whose value or provisional flag
 * changed are returned. The last bar of an interval is provisional until `closeAfterUs` after its
 * end (see {@link closeDue}).
 *
 * @example
 *   const book = createSessionBook(specs, { closeAfterUs: 60_000_000 });
 *   if (!book.has("AAPL", dayOf(bar.start))) book.load("AAPL", day, storedBars);
 *   const { accepted, rows } = book.apply("AAPL", bar);
 */
export function createSessionBook(
  specs: readonly IndicatorSpec[],
  options: { closeAfterUs: number; nowUs?: () => number; maxSessions?: number },
) {
  const nowUs = options.nowUs ?? (() => Date.now() * 1000);
  const rvolSessions = Math.max(
    0,
    ...specs.filter((spec) => spec.family === "rvol").map((spec) => spec.length),
  );
  const rvolLookbackDays = historyLookbackDays(rvolSessions);
  const sessions = new Map<string, Session>();
  /** The sessions in memory per symbol (a revised day reaches the later days' 1d windows). */
  const bySymbol = new Map<string, Set<Session>>();
  const keyOf = (symbol: string, day: number) => `${symbol}|${day}`;
  let clock = 0;

  const closed = (interval: Interval, bar: MinuteBar) =>
    nowUs() >= bar.start + INTERVALS[interval] + options.closeAfterUs;

  function emptySession(symbol: string, day: number): Session {
    const series = Object.fromEntries(
      INTRADAY_INTERVALS.map((name) => [
        name,
        { bars: [], states: [], values: [], emitted: new Map() },
      ]),
    ) as unknown as Record<IntradayInterval, IntervalSeries>;
    return { symbol, day, history: [], minutes: new Map(), series, touched: clock++ };
  }

  /** Recomputes `interval` from bar index `from`; returns the rows that changed. */
  function recompute(session: Session, interval: IntradayInterval, from: number): IndicatorRow[] {
    const s = session.series[interval];
    const inputs = s.bars;
    const rows: IndicatorRow[] = [];
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
    for (let i = Math.max(0, from - 1); i < inputs.length; i += 1) {
      const bar = inputs[i] as MinuteBar;
      const provisional = i === inputs.length - 1 && !closed(interval, bar);
      for (const [name, value] of s.values[i] ?? []) {
        const key = `${bar.start}|${name}`;
        const sig = signature(value, provisional);
        if (s.emitted.get(key) === sig) continue;
        s.emitted.set(key, sig);
        rows.push({
          symbol: session.symbol,
          interval,
          start: bar.start,
          day: session.day,
          name,
          value,
          provisional,
        });
      }
    }
    return rows;
  }

  /** Rebuilds the bucket of `minuteStart` in `interval`; returns its index. */
  function rebuildBucket(
    session: Session,
    interval: IntradayInterval,
    minuteStart: number,
  ): number {
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

  /** Recomputes the session's 1d values from its day bar; returns the rows that changed. */
  function recomputeDaily(session: Session): IndicatorRow[] {
    const minutes = session.series["1m"].bars;
    if (!session.daily || minutes.length === 0) return [];
    updateDaily(session.daily, session.day, minutes);
    return emitDaily(session, !closed("1d", session.daily.bar as MinuteBar));
  }

  function emitDaily(session: Session, provisional: boolean): IndicatorRow[] {
    if (!session.daily) return [];
    return changedDaily(session.daily, provisional).map(([name, value]) => ({
      symbol: session.symbol,
      interval: "1d",
      start: session.day,
      day: session.day,
      name,
      value,
      provisional,
    }));
  }

  /** The 1d rows of the symbol's later sessions in memory whose windows hold `session`'s day. */
  function propagateDaily(session: Session): IndicatorRow[] {
    const bar = session.daily?.bar;
    const held = bySymbol.get(session.symbol);
    if (!bar || !held || held.size < 2) return [];
    const rows: IndicatorRow[] = [];
    for (const later of held)
      if (later.day > session.day && later.daily && replaceEarlierDay(later.daily, bar))
        rows.push(...recomputeDaily(later));
    return rows;
  }

  function forget(key: string) {
    const session = sessions.get(key);
    if (!session) return;
    sessions.delete(key);
    const held = bySymbol.get(session.symbol);
    held?.delete(session);
    if (held?.size === 0) bySymbol.delete(session.symbol);
  }

  function evictOldest() {
    const max = options.maxSessions ?? 100_000;
    while (sessions.size > max) {
      let oldest: string | undefined;
      let touched = Number.POSITIVE_INFINITY;
      for (const [key, session] of sessions)
        if (session.touched < touched) {
          touched = session.touched;
          oldest = key;
        }
      if (oldest === undefined) return;
      forget(oldest);
    }
  }

  return {
    /** Whether the session of `symbol` on `day` is in memory (else load it from the stored bars). */
    has: (symbol: string, day: number) => sessions.has(keyOf(symbol, day)),

    /**
     * Puts a session in memory from its stored 1-minute bars (any order) and the 1-minute bars of
     * the symbol's previous sessions (newest first, for relative volume), and returns all its rows
     * (written again idempotently: a previous run may have stopped before writing them).
     */
    load(
      symbol: string,
      day: number,
      bars: readonly MinuteBar[],
      previousSessions: readonly (readonly MinuteBar[])[] = [],
    ): IndicatorRow[] {
      const session = emptySession(symbol, day);
      const sessionsBack = previousSessions.filter((minutes) => minutes.length > 0);
      session.daily = openDailySeries(specs, sessionsBack);
      const horizon = day - rvolLookbackDays * DAY_US;
      session.history = sessionsBack.slice(0, rvolSessions).flatMap((minutes) => {
        if (dayOf((minutes[0] as MinuteBar).start) < horizon) return [];
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
        return [volumes];
      });
      for (const bar of bars) if (dayOf(bar.start) === day) session.minutes.set(bar.start, bar);
      forget(keyOf(symbol, day));
      sessions.set(keyOf(symbol, day), session);
      const held = bySymbol.get(symbol) ?? new Set<Session>();
      held.add(session);
      bySymbol.set(symbol, held);
      evictOldest();
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
        rows.push(...recompute(session, interval, 0));
      }
      rows.push(...recomputeDaily(session), ...propagateDaily(session));
      return rows;
    },

    /**
     * Applies one version of a 1-minute bar (its session must be in memory): `accepted` is false
     * for a stale version (fewer trades than held) and for one identical to the bar held (`same`:
     * e.g. read with the session's stored bars); `rows` are the indicator rows that changed.
     */
    apply(
      symbol: string,
      bar: MinuteBar,
    ): { accepted: boolean; same?: boolean; rows: IndicatorRow[] } {
      const day = dayOf(bar.start);
      const session = sessions.get(keyOf(symbol, day));
      if (!session)
        throw new Error(`session ${symbol} ${new Date(day / 1000).toISOString()} is not loaded`);
      session.touched = clock++;
      const held = session.minutes.get(bar.start);
      if (held && sameBar(held, bar)) return { accepted: false, same: true, rows: [] };
      if (held && bar.trades < held.trades) return { accepted: false, rows: [] };
      session.minutes.set(bar.start, bar);
      const rows: IndicatorRow[] = [];
      for (const interval of INTRADAY_INTERVALS) {
        const index = rebuildBucket(session, interval, bar.start);
        rows.push(...recompute(session, interval, index));
      }
      rows.push(...recomputeDaily(session), ...propagateDaily(session));
      return { accepted: true, rows };
    },

    /** Rows of last bars whose interval closed since they were written provisional. */
    closeDue(): IndicatorRow[] {
      const rows: IndicatorRow[] = [];
      for (const session of sessions.values()) {
        if (session.daily?.bar && closed("1d", session.daily.bar))
          rows.push(...emitDaily(session, false));
        for (const interval of INTRADAY_INTERVALS) {
          const s = session.series[interval];
          const last = s.bars[s.bars.length - 1];
          if (!last || !closed(interval, last)) continue;
          const values = s.values[s.bars.length - 1] ?? new Map();
          for (const [name, value] of values) {
            const key = `${last.start}|${name}`;
            const sig = signature(value, false);
            if (s.emitted.get(key) === sig) continue;
            s.emitted.set(key, sig);
            rows.push({
              symbol: session.symbol,
              interval,
              start: last.start,
              day: session.day,
              name,
              value,
              provisional: false,
            });
          }
        }
      }
      return rows;
    },

    /** The session's 1-minute bars, oldest first (for alert conditions). */
    minutes(symbol: string, day: number): readonly MinuteBar[] {
      return sessions.get(keyOf(symbol, day))?.series["1m"].bars ?? [];
    },

    /** The 1m indicator values at the bar starting at `start`. */
    valuesAt(symbol: string, start: number): ReadonlyMap<string, IndicatorValue> | undefined {
      const s = sessions.get(keyOf(symbol, dayOf(start)))?.series["1m"];
      if (!s) return undefined;
      const index = lowerBound(s.bars, start);
      return s.bars[index]?.start === start ? s.values[index] : undefined;
    },

    /** Forgets every session (partitions revoked: another member may update them meanwhile). */
    clear() {
      sessions.clear();
      bySymbol.clear();
    },

    get size() {
      return sessions.size;
    },
  };
}

export type SessionBook = ReturnType<typeof createSessionBook>;
