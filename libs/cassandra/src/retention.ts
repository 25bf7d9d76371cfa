/**
 * How long each table keeps its rows, and the TimeWindowCompactionStrategy window that follows from
 * it. The defaults are declared here; `bun run cql:migrate` applies the configured values
 * (`RETENTION_*_DAYS`, see `config.ts`) to every table with `ALTER TABLE` (`retention-apply.ts`).
 */
import { DAY_SECONDS, type Interval } from "./time.ts";

/** Default retention of each configurable table group, in days (0 keeps rows until deleted). */
export const RETENTION_DAYS = {
  ticks: 90,
  bars: 730,
  indicators: 730,
  alerts: 730,
  ingestRuns: 30,
  ingestBackfills: 90,
} as const;

export type RetentionName = keyof typeof RETENTION_DAYS;

/** Retention of each table group in seconds (`default_time_to_live`); 0 keeps rows until deleted. */
export type Retention = Record<RetentionName, number>;

/** The default retention in seconds. */
export const RETENTION: Retention = Object.fromEntries(
  Object.entries(RETENTION_DAYS).map(([name, days]) => [name, days * DAY_SECONDS]),
) as Retention;

/**
 * How many compaction windows a TTL'd table should span. TWCS's author advises fewer than 50
 * windows over the TTL ("a TTL of 90 days may want 3 day buckets", jeffjirsa/twcs README, the
 * strategy's origin; Apache Cassandra's TWCS page describes the same trade-off): each window ends as
 * one SSTable that is dropped whole once its rows expired, so fewer, larger windows mean fewer
 * SSTables per read, and more, smaller ones mean space comes back in smaller steps.
 */
export const TARGET_WINDOWS = 30;

/**
 * The TWCS window, in whole days, for a table keeping rows `ttlSeconds`: TTL / 30 rounded up, at
 * least 1 day (the tables' partitions are UTC days, so no partition spans two windows). A table kept
 * forever (0) keeps `foreverDays`, the window of its default retention.
 *
 * @example
 *   compactionWindowDays(90 * 86_400); // 3 (30 windows)
 *   compactionWindowDays(730 * 86_400); // 25 (30 windows)
 */
export function compactionWindowDays(ttlSeconds: number, foreverDays = 1): number {
  if (ttlSeconds === 0) return foreverDays;
  return Math.max(1, Math.ceil(ttlSeconds / DAY_SECONDS / TARGET_WINDOWS));
}

/**
 * The TTL a row of `indicators_rollup` is written with: `1d` rows (the daily rollups) are kept
 * (`USING TTL 0` overrides the table's `default_time_to_live`); other intervals take the table's
 * (`undefined`: no `USING TTL`).
 *
 * @example
 *   const ttl = rollupRowTtlSeconds("1d"); // 0
 *   const cql = ttl === undefined ? insert : `${insert} USING TTL ${ttl}`;
 */
export function rollupRowTtlSeconds(interval: Interval): number | undefined {
  return interval === "1d" ? 0 : undefined;
}
