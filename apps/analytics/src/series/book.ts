import type { IndicatorValue } from "../indicators/compute.ts";
import type { IndicatorSpec } from "../indicators/specs.ts";
import {
  emitDaily,
  historyLookbackDays,
  openDailySeries,
  propagateDaily,
  recomputeDaily,
} from "./daily.ts";
import {
  applyMinute,
  closeDueIntraday,
  emptyIntraday,
  lowerBound,
  rebuildIntraday,
  sessionVolumes,
} from "./intraday.ts";
import { DAY_US, INTERVALS, type Interval, type MinuteBar } from "./rollup.ts";
import { dayOf, type IndicatorRow, type Session } from "./session.ts";

export { dayOf, type IndicatorRow } from "./session.ts";

const sameBar = (a: MinuteBar, b: MinuteBar) =>
  a.open === b.open &&
  a.high === b.high &&
  a.low === b.low &&
  a.close === b.close &&
  a.volume === b.volume &&
  a.vwap === b.vwap &&
  a.trades === b.trades;

/**
 * The indicators of every symbol's sessions (a session is a symbol's UTC day: every indicator
 * starts cold at 00:00 UTC and warms up again), for 1m and the 5m, 15m and 1h rollups
 * (`intraday.ts`) and at 1d over the symbol's last sessions (`daily.ts`), kept in memory for the
 * sessions being updated.
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

  /** The session's 1d rows that changed, and those of the later sessions whose windows hold it. */
  const dailyRows = (session: Session) => [
    ...recomputeDaily(session, closed),
    ...propagateDaily(session, bySymbol.get(session.symbol), closed),
  ];

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

  function hold(session: Session) {
    const key = keyOf(session.symbol, session.day);
    forget(key);
    sessions.set(key, session);
    const held = bySymbol.get(session.symbol) ?? new Set<Session>();
    held.add(session);
    bySymbol.set(session.symbol, held);
    evictOldest();
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
      const sessionsBack = previousSessions.filter((minutes) => minutes.length > 0);
      const horizon = day - rvolLookbackDays * DAY_US;
      const session: Session = {
        symbol,
        day,
        history: sessionsBack
          .slice(0, rvolSessions)
          .filter((minutes) => dayOf((minutes[0] as MinuteBar).start) >= horizon)
          .map(sessionVolumes),
        minutes: new Map(),
        series: emptyIntraday(),
        daily: openDailySeries(specs, sessionsBack),
        touched: clock++,
      };
      for (const bar of bars) if (dayOf(bar.start) === day) session.minutes.set(bar.start, bar);
      hold(session);
      return [...rebuildIntraday(specs, session, closed), ...dailyRows(session)];
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
      const rows = applyMinute(specs, session, bar.start, closed);
      return { accepted: true, rows: [...rows, ...dailyRows(session)] };
    },

    /** Rows of last bars whose interval closed since they were written provisional. */
    closeDue(): IndicatorRow[] {
      const rows: IndicatorRow[] = [];
      for (const session of sessions.values()) {
        if (session.daily?.bar && closed("1d", session.daily.bar))
          rows.push(...emitDaily(session, false));
        rows.push(...closeDueIntraday(session, closed));
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
