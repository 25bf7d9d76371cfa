import { cassandraEnv, z } from "@repo/platform/config";
import { RETENTION_DAYS, type Retention, type RetentionName } from "./retention.ts";
import { DAY_SECONDS } from "./time.ts";

const days = (fallback: number) =>
  z.coerce
    .number()
    .int("must be a whole number of days")
    .min(0, "must be 0 (keep forever) or more days")
    .max(36_500, "must be at most 36500 days (100 years)")
    .default(fallback);

/**
 * How long each table group keeps rows, in days (0 keeps them until deleted): `cql:migrate` sets
 * each table's `default_time_to_live` and TWCS window from these.
 */
export const retentionEnv = {
  RETENTION_TICKS_DAYS: days(RETENTION_DAYS.ticks),
  RETENTION_BARS_DAYS: days(RETENTION_DAYS.bars),
  RETENTION_INDICATORS_DAYS: days(RETENTION_DAYS.indicators),
  RETENTION_ALERTS_DAYS: days(RETENTION_DAYS.alerts),
  RETENTION_INGEST_RUNS_DAYS: days(RETENTION_DAYS.ingestRuns),
  RETENTION_INGEST_BACKFILLS_DAYS: days(RETENTION_DAYS.ingestBackfills),
};

const variableOf: Record<RetentionName, keyof typeof retentionEnv> = {
  ticks: "RETENTION_TICKS_DAYS",
  bars: "RETENTION_BARS_DAYS",
  indicators: "RETENTION_INDICATORS_DAYS",
  alerts: "RETENTION_ALERTS_DAYS",
  ingestRuns: "RETENTION_INGEST_RUNS_DAYS",
  ingestBackfills: "RETENTION_INGEST_BACKFILLS_DAYS",
};

/**
 * What `cql:migrate` (and `bun run dev`) read: Cassandra as the services reach it, the replication
 * of a keyspace it creates (a CQL map; SimpleStrategy RF 1 for the local stack, production e.g.
 * `{'class':'NetworkTopologyStrategy','dc1':3}`) and the retention of each table group.
 */
export const migrationEnv = {
  ...cassandraEnv,
  CASSANDRA_REPLICATION: z.string().default("{'class': 'SimpleStrategy', 'replication_factor': 1}"),
  ...retentionEnv,
};

/**
 * The configured retention in seconds, from a configuration loaded with {@link retentionEnv}.
 *
 * @example
 *   const retention = retentionOf(loadConfig(retentionEnv)); // { ticks: 7776000, … }
 */
export function retentionOf(config: Record<keyof typeof retentionEnv, number>): Retention {
  return Object.fromEntries(
    Object.entries(variableOf).map(([name, variable]) => [name, config[variable] * DAY_SECONDS]),
  ) as Retention;
}
