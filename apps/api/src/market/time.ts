/** Times in the API are microseconds since the Unix epoch (UTC), as in the contract. */

export const MINUTE_US = 60_000_000;
export const DAY_US = 86_400_000_000;

/** Bar intervals served by `/v1/bars`, each a whole number of minutes aligned to the UTC epoch. */
export const INTERVALS = {
  "1m": MINUTE_US,
  "5m": 5 * MINUTE_US,
  "15m": 15 * MINUTE_US,
  "1h": 60 * MINUTE_US,
  "1d": DAY_US,
} as const;

export type Interval = keyof typeof INTERVALS;

/** The longest `from`–`to` span each interval serves (it bounds the 1-minute rows read). */
export const MAX_SPAN_US: Record<Interval, number> = {
  "1m": 7 * DAY_US,
  "5m": 31 * DAY_US,
  "15m": 92 * DAY_US,
  "1h": 92 * DAY_US,
  "1d": 366 * DAY_US,
};

/** How many bars `/v1/bars` returns when `from` is omitted. */
export const DEFAULT_BARS = 300;

/** Start of the interval bucket containing `micros`. */
export const floorTo = (micros: number, step: number) => Math.floor(micros / step) * step;

/** Start of the first bucket at or after `micros`. */
export const ceilTo = (micros: number, step: number) => Math.ceil(micros / step) * step;

/** `YYYY-MM-DD` of the UTC day containing `micros`: the day column of ticks and bars partitions. */
export const dayOf = (micros: number) =>
  new Date(Math.floor(floorTo(micros, DAY_US) / 1000)).toISOString().slice(0, 10);

/**
 * The UTC days a half-open range [fromUs, toUs) touches, oldest first, as day starts in µs.
 *
 * @example
 *   daysOf(Date.UTC(2026, 0, 5, 23) * 1000, Date.UTC(2026, 0, 6, 1) * 1000).map(dayOf);
 *   // ["2026-01-05", "2026-01-06"]
 */
export function daysOf(fromUs: number, toUs: number): number[] {
  const days: number[] = [];
  for (let day = floorTo(fromUs, DAY_US); day < toUs; day += DAY_US) days.push(day);
  return days;
}
