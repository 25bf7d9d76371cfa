/**
 * The bar intervals `/v1/bars` serves and the spans it allows. Times in the API are microseconds
 * since the Unix epoch (UTC), as in the contract; the minute, the day and the intervals are the
 * storage's time rules, from `@repo/cassandra/time`, the driver-free entry (this module is bundled
 * into the dashboard, where cassandra-driver cannot load).
 */
import { DAY_US, INTERVALS, type Interval, MINUTE_US } from "@repo/cassandra/time";

export { DAY_US, INTERVALS, type Interval, MINUTE_US };

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
