import { cassandraEnv, z } from "@repo/platform/config";
import { AccessError, isRetriable } from "@repo/platform/errors";
import { withRetry } from "@repo/platform/retry";
import { type CassandraSettings, connectCassandra, createCassandraClient } from "./client.ts";
import { type MigrationReport, migrate } from "./migrate.ts";

/**
 * What `cql:migrate` (and `bun run dev`) read: Cassandra as the services reach it, and the
 * replication of a keyspace it creates (a CQL map; SimpleStrategy RF 1 for the local stack,
 * production e.g. `{'class':'NetworkTopologyStrategy','dc1':3}`).
 */
export const migrationEnv = {
  ...cassandraEnv,
  CASSANDRA_REPLICATION: z.string().default("{'class': 'SimpleStrategy', 'replication_factor': 1}"),
};

/**
 * Connects (retrying `retries` times while the nodes do not answer; a refused credential or
 * certificate is thrown at once), applies the pending migrations to CASSANDRA_KEYSPACE, disconnects.
 *
 * @example
 *   const report = await migrateKeyspace(loadConfig(migrationEnv), { applicationName: "cql-migrate", retries: 3 });
 */
export async function migrateKeyspace(
  config: CassandraSettings & { CASSANDRA_KEYSPACE: string; CASSANDRA_REPLICATION: string },
  options: { applicationName: string; retries: number; log?: (line: string) => void },
): Promise<MigrationReport> {
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
    return await migrate(client, {
      keyspace: config.CASSANDRA_KEYSPACE,
      replication: config.CASSANDRA_REPLICATION,
      ...(options.log ? { log: options.log } : {}),
    });
  } finally {
    await client.shutdown();
  }
}
