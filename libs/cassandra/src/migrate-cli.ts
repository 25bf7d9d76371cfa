#!/usr/bin/env bun
/**
 * `bun run cql:migrate`: applies cql/NNN_name.cql in order to CASSANDRA_KEYSPACE (default `market`).
 *
 * Replication comes from CASSANDRA_REPLICATION (a CQL map), default SimpleStrategy RF 1 for the local
 * stack; production uses e.g. `{'class':'NetworkTopologyStrategy','dc1':3}`. A bad variable exits 2
 * naming it; Cassandra unreachable or refusing exits 1. Then every table's `default_time_to_live`
 * and TWCS window are brought to the retention (`RETENTION_TICKS_DAYS`, …; 0 keeps rows forever),
 * printing each table it altered.
 */
import { loadConfig } from "@repo/platform/config";
import { configOrExit } from "@repo/platform/startup";
import { migrateKeyspace, migrationEnv } from "./keyspace.ts";

const config = configOrExit(() => loadConfig(migrationEnv));
try {
  const report = await migrateKeyspace(config, {
    applicationName: "cql-migrate",
    retries: 3,
    log: (line) => console.log(line),
  });
  console.log(
    report.applied.length === 0
      ? `keyspace ${config.CASSANDRA_KEYSPACE} is up to date (${report.alreadyApplied.length} migrations applied earlier)`
      : `applied ${report.applied.length} migration(s) to ${config.CASSANDRA_KEYSPACE}`,
  );
  console.log(
    report.retention.length === 0
      ? "retention: every table's TTL and compaction window as configured"
      : `retention: altered ${report.retention.length} table(s)`,
  );
} catch (error) {
  console.error(`cql:migrate: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
}
