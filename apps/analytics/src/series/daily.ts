import { emptyState, type IndicatorValue, indicatorsAt } from "../indicators/compute.ts";
import type { IndicatorSpec } from "../indicators/specs.ts";
import { combine, DAY_US, type MinuteBar } from "./rollup.ts";
import type { ClosedTest, DailySeries, DailyWindow, IndicatorRow, Session } from "./session.ts";

/** The indicators computed at 1d: every one but `vwapdev` (a session's own VWAP, intraday only). */
export const dailySpecs = (specs: readonly IndicatorSpec[]) =>
  specs.filter((spec) => spec.family !== "vwapdev");

/**
 * W, the sessions a 1d value is computed from (the day's and up to W − 1 before it): the longest
 * warm-up of the indicators computed at 1d, `rvol<N>` counting N + 1 (N previous days and the day).
 *
 * @example
 *   dailyWindow(parseIndicatorList("sma20,ema12,rsi14")); // 20
 */
export function dailyWindow(specs: readonly IndicatorSpec[]): number {
  let window = 0;
  for (const spec of dailySpecs(specs))
    window = Math.max(window, spec.family === "rvol" ? spec.length + 1 : spec.warmup);
  return window;
}

/** `rvol<N>` at 1d: the day's volume against its N previous days in the window. */
const baselineAt = (bars: readonly MinuteBar[], index: number) => (count: number) => {
  if (index < count) return undefined;
  let sum = 0n;
  for (let k = index - count; k < index; k += 1) sum += (bars[k] as MinuteBar).volume;
  return sum;
};

/**
 * The 1d window of a session from the day bars (exact day rollups, see `combine`) of the symbol's
 * earlier sessions, newest first: the last W − 1 of them, run through once so each update of the
 * day only computes the day itself.
 *
 * @example
 *   const window = openDailyWindow(specs, earlierDayBars);
 *   dailyValues(window, combine(day, minutes)).get("sma20");
 */
export function openDailyWindow(
  specs: readonly IndicatorSpec[],
  earlierNewestFirst: readonly MinuteBar[],
): DailyWindow {
  const daily = dailySpecs(specs);
  const earlier = earlierNewestFirst.slice(0, Math.max(0, dailyWindow(specs) - 1)).reverse();
  let state = emptyState();
  for (let i = 0; i < earlier.length; i += 1)
    state = indicatorsAt(daily, earlier, i, state, baselineAt(earlier, i)).state;
  return { specs: daily, earlier, state };
}

/**
 * The 1d values of the day whose day bar is `today` (those warm within the window).
 *
 * @example
 *   dailyValues(openDailyWindow(specs, []), dayBar); // only 1-bar indicators warm
 */
export function dailyValues(window: DailyWindow, today: MinuteBar) {
  const bars = [...window.earlier, today];
  const index = bars.length - 1;
  return indicatorsAt(window.specs, bars, index, window.state, baselineAt(bars, index)).values;
}

/**
 * Earlier sessions a loaded session needs: the longest `rvol<N>` and W − 1 for the 1d window.
 *
 * @example
 *   historySessions(parseIndicatorList("sma20,rvol5")); // 19
 */
export function historySessions(specs: readonly IndicatorSpec[]): number {
  const rvol = specs.filter((spec) => spec.family === "rvol").map((spec) => spec.length);
  return Math.max(0, dailyWindow(specs) - 1, ...rvol);
}

/** How far back (days) `count` earlier sessions are looked for: weekends and holidays skipped. */
export const historyLookbackDays = (count: number) => Math.ceil((count * 7) / 5) + 7;

/** What a row was last emitted as (value and provisional flag): unchanged rows are not rewritten. */
export const rowSignature = (value: IndicatorValue, provisional: boolean) =>
  `${"value" in value ? value.value : `${value.lower}|${value.middle}|${value.upper}`}|${provisional ? 1 : 0}`;

const dayBar = (minutes: readonly MinuteBar[]) => {
  const ordered = [...minutes].sort((a, b) => a.start - b.start);
  const first = ordered[0] as MinuteBar;
  return combine(Math.floor(first.start / DAY_US) * DAY_US, ordered);
};

/**
 * The 1d series of a session from the 1-minute bars of the symbol's earlier sessions (newest
 * first); undefined when no indicator is computed at 1d.
 *
 * @example
 *   const daily = openDailySeries(specs, previousSessions);
 *   if (daily) updateDaily(daily, day, minutes);
 */
export function openDailySeries(
  specs: readonly IndicatorSpec[],
  earlierSessions: readonly (readonly MinuteBar[])[],
): DailySeries | undefined {
  if (dailyWindow(specs) === 0) return undefined;
  const earlier = earlierSessions.filter((minutes) => minutes.length > 0).map(dayBar);
  return { window: openDailyWindow(specs, earlier), values: new Map(), emitted: new Map() };
}

/** Recomputes the day bar (from the day's 1-minute bars, oldest first) and the 1d values. */
export function updateDaily(daily: DailySeries, day: number, minutes: readonly MinuteBar[]) {
  daily.bar = combine(day, minutes);
  daily.values = dailyValues(daily.window, daily.bar);
}

/** The values whose value or provisional flag changed since last emitted (and marks them emitted). */
export function changedDaily(daily: DailySeries, provisional: boolean) {
  const changed: [string, IndicatorValue][] = [];
  for (const [name, value] of daily.values) {
    const sig = rowSignature(value, provisional);
    if (daily.emitted.get(name) === sig) continue;
    daily.emitted.set(name, sig);
    changed.push([name, value]);
  }
  return changed;
}

/**
 * Puts a revised day bar of an earlier session into `daily`'s window (when the window holds that
 * day) and carries the state over the window again: true when the window changed.
 *
 * @example
 *   if (replaceEarlierDay(later, revisedDayBar)) updateDaily(later, laterDay, laterMinutes);
 */
export function replaceEarlierDay(daily: DailySeries, bar: MinuteBar): boolean {
  const earlier = [...daily.window.earlier];
  const index = earlier.findIndex((held) => held.start === bar.start);
  if (index < 0) return false;
  earlier[index] = bar;
  daily.window = openDailyWindow(daily.window.specs, earlier.reverse());
  return true;
}

/** The 1d rows of `session` whose value or provisional flag changed since last emitted. */
export function emitDaily(session: Session, provisional: boolean): IndicatorRow[] {
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

/** Recomputes the session's day bar and 1d values from its minutes; returns the rows that changed. */
export function recomputeDaily(session: Session, closed: ClosedTest): IndicatorRow[] {
  const minutes = session.series["1m"].bars;
  if (!session.daily || minutes.length === 0) return [];
  updateDaily(session.daily, session.day, minutes);
  return emitDaily(session, !closed("1d", session.daily.bar as MinuteBar));
}

/**
 * The 1d rows of the symbol's later sessions in memory (`held`) whose windows hold `session`'s
 * day, recomputed with its day bar as it is now.
 *
 * @example
 *   rows.push(...recomputeDaily(session, closed), ...propagateDaily(session, held, closed));
 */
export function propagateDaily(
  session: Session,
  held: ReadonlySet<Session> | undefined,
  closed: ClosedTest,
): IndicatorRow[] {
  const bar = session.daily?.bar;
  if (!bar || !held || held.size < 2) return [];
  const rows: IndicatorRow[] = [];
  for (const later of held)
    if (later.day > session.day && later.daily && replaceEarlierDay(later.daily, bar))
      rows.push(...recomputeDaily(later, closed));
  return rows;
}
