import { DAY_US, INTERVALS, type Interval, MINUTE_US } from "@repo/cassandra/time";
import { divideHalfEven } from "../indicators/fixed.ts";

/**
 * Microseconds per minute and per UTC day, and the intervals indicators are kept for (the api's bar
 * intervals): the storage layout's time rules.
 */
export { DAY_US, INTERVALS, type Interval, MINUTE_US };
export const INTERVAL_NAMES = Object.keys(INTERVALS) as Interval[];
/** The intervals computed within one session (cold at 00:00 UTC); 1d spans sessions (`daily.ts`). */
export const INTRADAY_INTERVALS = ["1m", "5m", "15m", "1h"] as const;
export type IntradayInterval = (typeof INTRADAY_INTERVALS)[number];

/** A bar in micro-units: a 1-minute bar of `market.bars.1m`, or a rollup of them. */
export interface MinuteBar {
  /** Start, µs since the epoch. */
  start: number;
  open: bigint;
  high: bigint;
  low: bigint;
  close: bigint;
  volume: bigint;
  vwap: bigint;
  trades: bigint;
}

/**
 * One bucket of 1-minute bars (oldest first, at least one) as a bar of the interval starting at
 * `start`, with the api's exact rollup rules (apps/api/src/market/rollup.ts): open of the first
 * minute, close of the last, highest high, lowest low, summed volume and trades, VWAP =
 * Σ(vwap·volume)/Σvolume rounded half to even at 1e-6 (the close when nothing traded).
 *
 * @example
 *   combine(300_000_000, fiveMinuteBars);
 */
export function combine(start: number, minutes: readonly MinuteBar[]): MinuteBar {
  const first = minutes[0] as MinuteBar;
  const last = minutes[minutes.length - 1] as MinuteBar;
  let high = first.high;
  let low = first.low;
  let volume = 0n;
  let trades = 0n;
  let notional = 0n;
  for (const bar of minutes) {
    if (bar.high > high) high = bar.high;
    if (bar.low < low) low = bar.low;
    volume += bar.volume;
    trades += bar.trades;
    notional += bar.vwap * bar.volume;
  }
  return {
    start,
    open: first.open,
    high,
    low,
    close: last.close,
    volume,
    vwap: volume > 0n ? divideHalfEven(notional, volume) : last.close,
    trades,
  };
}
