import { z } from "zod";
import { ConfigError } from "./errors.ts";
import {
  type ConfigProblem,
  cassandraSecurityEnv,
  connectionProblems,
  kafkaSecurityEnv,
  registrySecurityEnv,
} from "./security.ts";
import { commaList, endpointList, port, positiveInt } from "./variables.ts";

/** Thrown when the environment does not describe a valid configuration. Names every bad variable. */
export { ConfigError } from "./errors.ts";
export { commaList, flag, port, positiveInt } from "./variables.ts";

/**
 * Parses and validates configuration from environment variables at start-up.
 *
 * @example
 *   const config = loadConfig({ ...httpEnv(3002), ...kafkaEnv });
 *   config.KAFKA_BROKERS; // string[]
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  const problems: ConfigProblem[] = result.success
    ? connectionProblems(result.data)
    : result.error.issues.map((issue) => ({
        variable: issue.path.join("."),
        message: issue.message,
      }));
  if (problems.length > 0 || !result.success) {
    const lines = problems.map(({ variable, message }) => {
      const given = env[variable];
      const shown =
        given === undefined
          ? "unset"
          : isSecret(variable)
            ? "<redacted>"
            : JSON.stringify(withoutUserinfo(given));
      return `  ${variable} (${shown}): ${message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

/**
 * The environment of a process this one spawns (a CLI, a service under test): this process's own,
 * `extra` on top. With {@link loadConfig}, the only
 * reader of `process.env` outside the apps' config modules.
 *
 * @example
 *   Bun.spawn(["bun", "run", "cql:migrate"], { env: childEnv({ CASSANDRA_KEYSPACE: "scratch" }) });
 */
export function childEnv(
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return { ...process.env, ...extra };
}

/** `https://user:secret@host/` → `https://<redacted>@host/`: credentials in URLs are never printed. */
function withoutUserinfo(value: string): string {
  return value.replace(/(\/\/)[^/@\s]*@/g, "$1<redacted>@");
}

/** Variables whose values are never printed. */
export function isSecret(name: string): boolean {
  return /KEY|SECRET|PASSWORD|TOKEN/i.test(name);
}

/** `https://dashboard.example.com`: a scheme, a host and a port if not the default, nothing else. */
const webOrigin = z
  .string()
  .transform((text) => text.replace(/\/+$/, ""))
  .refine((text) => {
    try {
      const url = new URL(text);
      return url.origin === text && /^https?:$/.test(url.protocol);
    } catch {
      return false;
    }
  }, "must list web origins such as https://dashboard.example.com (scheme, host, port; no path)");

/**
 * HOST (127.0.0.1 unless told otherwise), PORT, LOG_LEVEL, the body limit and the browser origins
 * allowed to call the service (`ALLOWED_ORIGINS`, none by default), common to every service.
 */
export const httpEnv = (defaultPort: number) => ({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port(defaultPort),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  MAX_BODY_BYTES: positiveInt(1024 * 1024),
  ALLOWED_ORIGINS: commaList("").pipe(z.array(webOrigin)),
});

/** Brokers, and SASL/TLS (see `security.ts`): `KAFKA_SECURITY_PROTOCOL`, `KAFKA_SASL_*`, `KAFKA_SSL_CA_FILE`. */
export const kafkaEnv = {
  KAFKA_BROKERS: endpointList("127.0.0.1:9092"),
  ...kafkaSecurityEnv,
};

/** The registry URL, basic auth (`SCHEMA_REGISTRY_USERNAME`/`_PASSWORD`) and `SCHEMA_REGISTRY_CA_FILE`. */
export const registryEnv = {
  SCHEMA_REGISTRY_URL: z.url().default("http://127.0.0.1:8081"),
  ...registrySecurityEnv,
};

/** Contact points, data centre, keyspace, password auth and TLS (`CASSANDRA_TLS*`). */
export const cassandraEnv = {
  CASSANDRA_CONTACT_POINTS: endpointList("127.0.0.1:9042"),
  CASSANDRA_LOCAL_DC: z.string().min(1).default("datacenter1"),
  CASSANDRA_KEYSPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,47}$/, "must be a lower-case CQL identifier")
    .default("market"),
  ...cassandraSecurityEnv,
};

/** The consistency level of a service's Cassandra queries: `LOCAL_QUORUM` unless told otherwise. */
export const cassandraConsistencyEnv = {
  CASSANDRA_CONSISTENCY: z
    .enum(["LOCAL_QUORUM", "QUORUM", "EACH_QUORUM", "LOCAL_ONE", "ONE", "ALL"])
    .default("LOCAL_QUORUM"),
};

/** How far in the future a tick's eventTime or ingestTime may lie (clock skew between hosts). */
export const clockSkewEnv = {
  MAX_CLOCK_SKEW_MS: positiveInt(60_000),
};

/** Prepended to every logical topic (and so to its `-value` subject); isolates tests and tenants. */
export const topicPrefixEnv = {
  TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, "may only contain letters, digits, '.', '_' and '-'")
    .default(""),
};

/**
 * What a service on the record path through Kafka (the producer, the consumer) reads besides its
 * own settings: brokers and their security, the registry, the topic prefix and the clock skew
 * allowed when validating ticks.
 */
export const pipelineEnv = {
  ...kafkaEnv,
  ...registryEnv,
  ...clockSkewEnv,
  ...topicPrefixEnv,
};

/**
 * What a service that consumes a Kafka topic into Cassandra (the consumer, analytics) reads besides
 * its own settings and its registry client's: HTTP, the record path through Kafka
 * ({@link pipelineEnv}), Cassandra and its consistency, how many queries run at once, and the
 * longest wait between retries of a failing step.
 *
 * @example
 *   export const analyticsEnv = { ...streamServiceEnv(3005), ...registryClientEnv, ANALYTICS_GROUP: z.string() };
 */
export const streamServiceEnv = (defaultPort: number) => ({
  ...httpEnv(defaultPort),
  ...pipelineEnv,
  ...cassandraEnv,
  ...cassandraConsistencyEnv,
  CASSANDRA_MAX_CONCURRENCY: positiveInt(32),
  RETRY_MAX_DELAY_MS: positiveInt(5000),
});

export { z };
