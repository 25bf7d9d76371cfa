import { cassandraEnv, httpEnv, loadConfig, positiveInt, z } from "@repo/platform/config";

const serviceUrl = (fallback: string) => z.url().default(fallback);

/** Every setting of the api, from the environment (see README for meanings). */
export const apiEnv = {
  ...httpEnv(3004),
  ...cassandraEnv,
  CASSANDRA_CONSISTENCY: z
    .enum(["LOCAL_QUORUM", "QUORUM", "EACH_QUORUM", "LOCAL_ONE", "ONE", "ALL"])
    .default("LOCAL_QUORUM"),
  /** Where the dashboard's pipeline health reads each service's `/stats`. */
  INGEST_URL: serviceUrl("http://127.0.0.1:3001"),
  PRODUCER_URL: serviceUrl("http://127.0.0.1:3002"),
  CONSUMER_URL: serviceUrl("http://127.0.0.1:3003"),
  /** How often the SSE stream reads latest_quotes (and the bars of symbols that changed). */
  API_STREAM_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  /** Concurrent `/v1/stream` connections; more are answered 503. */
  API_STREAM_MAX_CLIENTS: positiveInt(100),
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
};

export type ApiConfig = ReturnType<typeof loadApiConfig>;

/**
 * Loads and validates the api's configuration, failing with the names of bad variables.
 *
 * @example
 *   const config = loadApiConfig({ PORT: "3104" });
 *   config.CONSUMER_URL; // "http://127.0.0.1:3003"
 */
export function loadApiConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(apiEnv, env);
}
