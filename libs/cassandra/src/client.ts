import { readFileSync } from "node:fs";
import { AccessError } from "@repo/platform/errors";
import cassandra from "cassandra-driver";

export { cassandra };

/** The `cassandraEnv` part of a loaded configuration. */
export interface CassandraSettings {
  CASSANDRA_CONTACT_POINTS: string[];
  CASSANDRA_LOCAL_DC: string;
  CASSANDRA_USERNAME?: string | undefined;
  CASSANDRA_PASSWORD?: string | undefined;
  /** TLS to every node, verifying its certificate (system CAs unless CASSANDRA_TLS_CA_FILE). */
  CASSANDRA_TLS?: boolean | undefined;
  CASSANDRA_TLS_CA_FILE?: string | undefined;
  /** A client certificate and its key, for nodes that require one (`require_client_auth`). */
  CASSANDRA_TLS_CERT_FILE?: string | undefined;
  CASSANDRA_TLS_KEY_FILE?: string | undefined;
}

/**
 * A driver client for the configured cluster. Pass `keyspace` to bind queries to it; reconnection
 * uses exponential backoff so a node that returns is picked up without a restart. With
 * `CASSANDRA_TLS` every connection is TLS and each node's certificate must be signed by a trusted CA
 * and name the contact point (the driver alone would accept any certificate).
 *
 * @example
 *   const client = createCassandraClient(config, { keyspace: "market" });
 *   await connectCassandra(client, config);
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
    sslOptions: settings.CASSANDRA_TLS ? tlsOptions(settings) : undefined,
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

/** The cluster settings plus the keyspace and consistency a service reads from `cassandraEnv`. */
export interface ServiceCassandraSettings extends CassandraSettings {
  CASSANDRA_KEYSPACE: string;
  /** A consistency level name (`LOCAL_QUORUM`, `ONE`, …). */
  CASSANDRA_CONSISTENCY: string;
}

/**
 * A service's client, bound to the configured keyspace and using the configured consistency,
 * which is returned too for statements that set it themselves. Connect it with
 * {@link connectCassandra}.
 *
 * @example
 *   const { client, consistency } = createServiceClient(config, "analytics");
 *   await untilConnected("Cassandra", () => connectCassandra(client, config));
 */
export function createServiceClient(
  settings: ServiceCassandraSettings,
  applicationName: string,
): { client: cassandra.Client; consistency: number } {
  const consistency = consistencyNamed(settings.CASSANDRA_CONSISTENCY);
  const client = createCassandraClient(settings, {
    keyspace: settings.CASSANDRA_KEYSPACE,
    consistency,
    applicationName,
  });
  return { client, consistency };
}

function tlsOptions(settings: CassandraSettings) {
  const read = (path: string | undefined) => (path ? readFileSync(path) : undefined);
  return {
    rejectUnauthorized: true,
    ca: read(settings.CASSANDRA_TLS_CA_FILE),
    cert: read(settings.CASSANDRA_TLS_CERT_FILE),
    key: read(settings.CASSANDRA_TLS_KEY_FILE),
  };
}

/**
 * Connects, turning a refusal that retrying cannot fix (wrong credentials, an untrusted or
 * misnamed certificate, a required client certificate) into an {@link AccessError} that names the
 * settings to check; other failures (nodes down) are thrown as they are, to be retried.
 *
 * @example
 *   await withRetry(() => connectCassandra(client, config), { shouldRetry: isRetriable });
 */
export async function connectCassandra(
  client: cassandra.Client,
  settings: CassandraSettings,
): Promise<void> {
  try {
    await client.connect();
  } catch (error) {
    throw accessErrorOf(error, settings) ?? error;
  }
}

const TLS_REFUSAL = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/;

function accessErrorOf(error: unknown, settings: CassandraSettings): AccessError | undefined {
  const inner = Object.values(
    (error as { innerErrors?: Record<string, unknown> }).innerErrors ?? {},
  ) as { code?: unknown; message?: string }[];
  const causes = inner.length > 0 ? inner : [error as { code?: unknown; message?: string }];
  const auth = causes.filter((cause) => cause instanceof cassandra.errors.AuthenticationError);
  const tls = causes.filter(
    (cause) => typeof cause.code === "string" && TLS_REFUSAL.test(cause.code),
  );
  if (auth.length + tls.length !== causes.length || causes.length === 0) return undefined;
  const first = (auth[0] ?? tls[0]) as { message?: string; code?: unknown };
  const setting =
    auth.length > 0
      ? `check CASSANDRA_USERNAME${settings.CASSANDRA_USERNAME ? ` (${settings.CASSANDRA_USERNAME})` : " (unset)"} and CASSANDRA_PASSWORD`
      : "check CASSANDRA_TLS_CA_FILE, that each node's certificate names its contact point, and CASSANDRA_TLS_CERT_FILE/CASSANDRA_TLS_KEY_FILE if nodes require a client certificate";
  const reason = first.code ? `${first.code}: ${first.message}` : first.message;
  return new AccessError("cassandra", `${reason}; ${setting}`, { cause: error });
}

/** CQL consistency level by name (`LOCAL_QUORUM`, `ONE`, …). */
export function consistencyNamed(name: string): number {
  const key = name.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const level = (cassandra.types.consistencies as unknown as Record<string, number>)[key];
  if (level === undefined) throw new Error(`unknown consistency level "${name}"`);
  return level;
}
