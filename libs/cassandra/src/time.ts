/**
 * The time rules stored rows are bucketed by: times are microseconds since the Unix epoch (UTC), as
 * in the contract; time series are partitioned by UTC day and 1-minute bars keyed by their minute.
 * Driver-free (`@repo/cassandra/time`): the dashboard bundles it; `partitionDay`, the driver's
 * `LocalDate` of a day, is in `local-date.ts`.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
export const MINUTE_US = 60_000_000;
export const DAY_US = 86_400_000_000;
export const DAY_SECONDS = 86_400;

/**
 * The bar intervals, each a whole number of minutes (or one UTC day) aligned to the UTC epoch: what
 * `/v1/bars` serves and what `indicators_rollup.interval` holds (with `1m` in `indicators_1m`).
 *
 * @example
 *   Math.floor(micros / INTERVALS["5m"]) * INTERVALS["5m"]; // start of the 5-minute bar
 */
export const INTERVALS = {
  "1m": MINUTE_US,
  "5m": 5 * MINUTE_US,
  "15m": 15 * MINUTE_US,
  "1h": 60 * MINUTE_US,
  "1d": DAY_US,
} as const;

export type Interval = keyof typeof INTERVALS;

/** Start of the UTC minute containing `micros`: a 1-minute bar's key. */
export const minuteStart = (micros: number) => Math.floor(micros / MINUTE_US) * MINUTE_US;

const dayNames = new Map<number, string>();

/**
 * The UTC day (`YYYY-MM-DD`) containing `micros`: the day of every `(…, day)` partition.
 *
 * @example
 *   dayOf(Date.UTC(2026, 0, 5, 23, 59) * 1000); // "2026-01-05"
 */
export function dayOf(micros: number): string {
  const day = Math.floor(micros / DAY_US);
  let name = dayNames.get(day);
  if (name === undefined) {
    name = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dayNames.size > 10_000) dayNames.clear();
    dayNames.set(day, name);
  }
  return name;
}

/**
 * The `(symbol, day)` partition a symbol's tick, bar or indicator at `micros` lives in, as one
 * string: rows with equal keys share a partition (and so a batch).
 *
 * @example
 *   partitionKey("AAPL", Date.UTC(2026, 0, 5, 15) * 1000); // "AAPL|2026-01-05"
 */
export const partitionKey = (symbol: string, micros: number) => `${symbol}|${dayOf(micros)}`;

/**
 * The UTC day partitions a half-open range [fromUs, toUs) touches, oldest first, as day starts in µs.
 *
 * @example
 *   daysOf(Date.UTC(2026, 0, 5, 23) * 1000, Date.UTC(2026, 0, 6, 1) * 1000).map(dayOf);
 *   // ["2026-01-05", "2026-01-06"]
 */
export function daysOf(fromUs: number, toUs: number): number[] {
  const days: number[] = [];
  for (let day = Math.floor(fromUs / DAY_US) * DAY_US; day < toUs; day += DAY_US) days.push(day);
  return days;
}
