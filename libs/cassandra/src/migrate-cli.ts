#!/usr/bin/env bun
/**
 * `bun run cql:migrate`: applies cql/NNN_name.cql in order to CASSANDRA_KEYSPACE (default `market`).
 *
 * Replication comes from CASSANDRA_REPLICATION (a CQL map), default SimpleStrategy RF 1 for the local
 * stack; production uses e.g. `{'class':'NetworkTopologyStrategy','dc1':3}`.
 */
import { ConfigError, cassandraEnv, loadConfig, z } from "@repo/platform/config";
import { AccessError, isRetriable } from "@repo/platform/errors";
import { withRetry } from "@repo/platform/retry";
import { connectCassandra, createCassandraClient } from "./client.ts";
import { migrate } from "./migrate.ts";

try {
  const config = loadConfig({
    ...cassandraEnv,
    CASSANDRA_REPLICATION: z
      .string()
      .default("{'class': 'SimpleStrategy', 'replication_factor': 1}"),
  });
  const client = createCassandraClient(config, { applicationName: "cql-migrate" });
  try {
    await withRetry(() => connectCassandra(client, config), {
      retries: 3,
      minDelayMs: 500,
      shouldRetry: isRetriable,
    }).catch((error: Error) => {
      if (error instanceof AccessError) throw error;
      throw new Error(
        `cannot reach Cassandra at ${config.CASSANDRA_CONTACT_POINTS.join(", ")}: ${error.message}`,
      );
    });
    const report = await migrate(client, {
      keyspace: config.CASSANDRA_KEYSPACE,
      replication: config.CASSANDRA_REPLICATION,
      log: (line) => console.log(line),
    });
    console.log(
      report.applied.length === 0
        ? `keyspace ${config.CASSANDRA_KEYSPACE} is up to date (${report.alreadyApplied.length} migrations applied earlier)`
        : `applied ${report.applied.length} migration(s) to ${config.CASSANDRA_KEYSPACE}`,
    );
  } finally {
    await client.shutdown();
  }
} catch (error) {
  console.error(
    `cql:migrate: ${error instanceof ConfigError || error instanceof Error ? error.message : error}`,
  );
  process.exitCode = 1;
}
