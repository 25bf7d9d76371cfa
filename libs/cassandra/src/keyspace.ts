import { AccessError, isRetriable } from "@repo/platform/errors";
import { withRetry } from "@repo/platform/retry";
import { type CassandraSettings, connectCassandra, createCassandraClient } from "./client.ts";
import { type retentionEnv, retentionOf } from "./config.ts";
import { type MigrationReport, migrate } from "./migrate.ts";
import { applyRetention, describeChange, type RetentionChange } from "./retention-apply.ts";

export { migrationEnv } from "./config.ts";

/** The migrations applied, and the tables whose TTL or TWCS window was brought to the retention. */
export interface KeyspaceReport extends MigrationReport {
  retention: RetentionChange[];
}

/**
 * Connects (retrying `retries` times while the nodes do not answer; a refused credential or
 * certificate is thrown at once), applies the pending migrations to CASSANDRA_KEYSPACE, brings each
 * table's TTL and TWCS window to the configured retention (`RETENTION_*_DAYS`), disconnects.
 *
 * @example
 *   const report = await migrateKeyspace(loadConfig(migrationEnv), { applicationName: "cql-migrate", retries: 3 });
 */
export async function migrateKeyspace(
  config: CassandraSettings & {
    CASSANDRA_KEYSPACE: string;
    CASSANDRA_REPLICATION: string;
  } & Record<keyof typeof retentionEnv, number>,
  options: { applicationName: string; retries: number; log?: (line: string) => void },
): Promise<KeyspaceReport> {
  const client = createCassandraClient(config, { applicationName: options.applicationName });
  try {
    await withRetry(() => connectCassandra(client, config), {
      retries: options.retries,
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
      ...(options.log ? { log: options.log } : {}),
    });
    const retention = await applyRetention(client, config.CASSANDRA_KEYSPACE, retentionOf(config));
    for (const change of retention) options.log?.(`retention ${describeChange(change)}`);
    return { ...report, retention };
  } finally {
    await client.shutdown();
  }
}
