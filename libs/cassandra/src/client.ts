import cassandra from "cassandra-driver";

export { cassandra };

export interface CassandraSettings {
  CASSANDRA_CONTACT_POINTS: string[];
  CASSANDRA_LOCAL_DC: string;
  CASSANDRA_USERNAME?: string | undefined;
  CASSANDRA_PASSWORD?: string | undefined;
}

/**
 * A driver client for the configured cluster. Pass `keyspace` to bind queries to it; reconnection
 * uses exponential backoff so a node that returns is picked up without a restart.
 *
 * @example
 *   const client = createCassandraClient(config, { keyspace: "market" });
 *   await client.connect();
 */
export function createCassandraClient(
  settings: CassandraSettings,
  options: { keyspace?: string; consistency?: number; applicationName?: string } = {},
): cassandra.Client {
  const { CASSANDRA_USERNAME: username, CASSANDRA_PASSWORD: password } = settings;
  return new cassandra.Client({
    contactPoints: settings.CASSANDRA_CONTACT_POINTS,
    localDataCenter: settings.CASSANDRA_LOCAL_DC,
    keyspace: options.keyspace,
    applicationName: options.applicationName,
    credentials: username && password ? { username, password } : undefined,
    queryOptions: {
      consistency: options.consistency ?? cassandra.types.consistencies.localQuorum,
      prepare: true,
    },
    socketOptions: { connectTimeout: 5000, readTimeout: 12_000 },
    policies: {
      reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(
        500,
        10_000,
        false,
      ),
    },
  });
}

/** CQL consistency level by name (`LOCAL_QUORUM`, `ONE`, …). */
export function consistencyNamed(name: string): number {
  const key = name.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const level = (cassandra.types.consistencies as unknown as Record<string, number>)[key];
  if (level === undefined) throw new Error(`unknown consistency level "${name}"`);
  return level;
}
