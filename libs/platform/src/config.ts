import { z } from "zod";

/** Thrown when the environment does not describe a valid configuration. Names every bad variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

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
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const variable = issue.path.join(".");
      const given = env[variable];
      const shown =
        given === undefined ? "unset" : isSecret(variable) ? "<redacted>" : JSON.stringify(given);
      return `  ${variable} (${shown}): ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

/** Variables whose values are never printed. */
export function isSecret(name: string): boolean {
  return /KEY|SECRET|PASSWORD|TOKEN/i.test(name);
}

/** A comma-separated variable as a list of trimmed, non-empty items. */
export const commaList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean),
    );

const csv = (fallback: string) =>
  commaList(fallback).refine((list) => list.length > 0, "must list at least one host:port");

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

export const positiveInt = (fallback: number) =>
  z.coerce.number().int().positive().default(fallback);

/** A boolean variable: true/false/1/0/yes/no. */
export const flag = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"])
    .default(fallback ? "true" : "false")
    .transform((value) => value === "true" || value === "1" || value === "yes");

/** HOST (127.0.0.1 unless told otherwise), PORT and LOG_LEVEL, common to every service. */
export const httpEnv = (defaultPort: number) => ({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port(defaultPort),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  MAX_BODY_BYTES: positiveInt(1024 * 1024),
});

export const kafkaEnv = {
  KAFKA_BROKERS: csv("127.0.0.1:9092"),
};

export const registryEnv = {
  SCHEMA_REGISTRY_URL: z.url().default("http://127.0.0.1:8081"),
};

export const cassandraEnv = {
  CASSANDRA_CONTACT_POINTS: csv("127.0.0.1:9042"),
  CASSANDRA_LOCAL_DC: z.string().min(1).default("datacenter1"),
  CASSANDRA_KEYSPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,47}$/, "must be a lower-case CQL identifier")
    .default("market"),
  CASSANDRA_USERNAME: z.string().optional(),
  CASSANDRA_PASSWORD: z.string().optional(),
};

/** How far in the future a tick's eventTime or ingestTime may lie (clock skew between hosts). */
export const clockSkewEnv = {
  MAX_CLOCK_SKEW_MS: positiveInt(60_000),
};

export { z };
