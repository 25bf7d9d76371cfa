/**
 * The bar intervals `/v1/bars` serves. Times in the API are microseconds since the Unix epoch
 * (UTC), as in the contract; the storage's time rules (day partitions: `dayOf`, `daysOf`) are
 * `@repo/cassandra`'s. This module is also bundled into the dashboard, where `@repo/cassandra`
 * (cassandra-driver, Node only) cannot load, so it states the minute and day its intervals are made
 * of; `time.test.ts` fails to compile when they differ from the storage's.
 */

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
