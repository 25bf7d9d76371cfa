import { type CarriedState, emptyState, indicatorsAt } from "../indicators/compute.ts";
import type { IndicatorSpec } from "../indicators/specs.ts";
import type { MinuteBar } from "./rollup.ts";

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

/** A session's 1d window: the day bars of its earlier sessions and the state carried after them. */
export interface DailyWindow {
  specs: readonly IndicatorSpec[];
  /** Day bars of the earlier sessions in the window, oldest first (at most W − 1). */
  earlier: readonly MinuteBar[];
  /** The recursive indicators' state after the last earlier day (seeded at the first). */
  state: CarriedState;
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
