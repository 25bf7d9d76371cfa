import { randomBytes } from "node:crypto";
import {
  ConfigError,
  cassandraConsistencyEnv,
  cassandraEnv,
  clockSkewEnv,
  httpEnv,
  kafkaEnv,
  loadConfig,
  positiveInt,
  registryEnv,
  topicPrefixEnv,
  z,
} from "@repo/platform/config";
import { parseBearerTokens } from "@repo/platform/tokens";
import { registryClientEnv } from "@repo/registry";

/** An http(s) URL (`ingest:3001` parses as a URL of scheme `ingest:`, so the scheme is checked). */
const serviceUrl = (fallback: string) =>
  z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).default(fallback);

/** Every setting of the api, from the environment (see README for meanings). */
export const apiEnv = {
  ...httpEnv(3004),
  ...cassandraEnv,
  ...cassandraConsistencyEnv,
  /** Where the dashboard's pipeline health reads each service's `/stats`. */
  INGEST_URL: serviceUrl("http://127.0.0.1:3001"),
  PRODUCER_URL: serviceUrl("http://127.0.0.1:3002"),
  CONSUMER_URL: serviceUrl("http://127.0.0.1:3003"),
  /** Sent as `Authorization: Bearer` on the api's calls to ingest (one of INGEST_OPERATOR_TOKENS). */
  INGEST_OPERATOR_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** Analytics' HTTP API: `/v1/indicators/*`, `/v1/alerts`, `/v1/alerts/rules*`, `/v1/alerts/stream`. */
  ANALYTICS_URL: serviceUrl("http://127.0.0.1:3005"),
  /** Sent as `Authorization: Bearer` on the api's rule writes to analytics (one of its API_OPERATOR_TOKENS). */
  ANALYTICS_OPERATOR_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** Where `/v1/alerts/firing` reads Prometheus' alerts. */
  PROMETHEUS_URL: serviceUrl("http://127.0.0.1:9090"),
  /** Longest one call to ingest, analytics or Prometheus may take before the api answers 503. */
  API_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(200).max(60_000).default(5_000),
  /** How often the api reads the consumer for `/v1/streaming-job` (an hour of readings is kept). */
  API_JOB_SAMPLE_MS: z.coerce.number().int().min(250).max(60_000).default(5_000),
  /** The streaming job's end-to-end window: each point's quantiles cover the ticks written in it. */
  API_JOB_WINDOW_MS: z.coerce.number().int().min(1_000).max(600_000).default(60_000),
  /**
   * How long `/v1/stream`'s Kafka tail keeps running after the last client left (a reconnecting
   * dashboard does not restart it); it starts again with the next client.
   */
  API_STREAM_IDLE_STOP_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** Concurrent `/v1/stream` connections in all; more are refused with a retry hint. */
  API_STREAM_MAX_CLIENTS: positiveInt(100),
  /** Concurrent `/v1/stream` connections from one remote address. */
  API_STREAM_MAX_PER_CLIENT: positiveInt(10),
  /**
   * Events waiting for one stream client (a newer state of the same quote or bar replaces the
   * waiting one); a client with more waiting is dropped. A client of every symbol needs about three
   * per symbol.
   */
  API_STREAM_QUEUE_MAX: positiveInt(5000),
  /** Longest a write to one stream client may wait on its socket before the client is dropped. */
  API_STREAM_WRITE_TIMEOUT_MS: positiveInt(10_000),
  /** What a refused or closed stream tells its EventSource to wait before reconnecting. */
  API_STREAM_RETRY_MS: positiveInt(5_000),
  /** HMAC key of `/v1/ticks` cursors; a random one per process when unset (cursors then die with it). */
  API_CURSOR_KEY: z.string().min(32, "must be at least 32 characters").optional(),
  /** How long a `/v1/ticks` cursor stays valid. */
  API_CURSOR_TTL_MS: positiveInt(3_600_000),
  /** `name:token` entries (the PRODUCER_TOKENS rules): who sees `/v1/pipeline` details. */
  API_OPERATOR_TOKENS: z.string().optional(),
  SHUTDOWN_GRACE_MS: positiveInt(10_000),
  /** The Kafka console: brokers (and SASL/TLS), the registry, the topic prefix of the pipeline. */
  ...kafkaEnv,
  ...registryEnv,
  ...registryClientEnv,
  ...topicPrefixEnv,
  /** How far in the future a redriven tick's times may lie (as the consumer checks them). */
  ...clockSkewEnv,
  /** Records one console request reads at most (messages, dead letters, a redrive filter). */
  API_KAFKA_SCAN_MAX: z.coerce.number().int().min(100).max(1_000_000).default(20_000),
  /** Longest time one console request spends reading Kafka before it answers what it has. */
  API_KAFKA_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
  /** Dead letters one redrive may send at most. */
  API_REDRIVE_MAX: z.coerce.number().int().min(1).max(100_000).default(1_000),
};

export type ApiConfig = ReturnType<typeof loadApiConfig>;

/**
 * Loads and validates the api's configuration, failing with the names of bad variables. The
 * cursor key and the operator tokens come out parsed (`cursorKey`, `operatorTokens`).
 *
 * @example
 *   const config = loadApiConfig({ PORT: "3104" });
 *   config.CONSUMER_URL; // "http://127.0.0.1:3003"
 */
export function loadApiConfig(env: Record<string, string | undefined> = process.env) {
  const { API_CURSOR_KEY, API_OPERATOR_TOKENS, ...config } = loadConfig(apiEnv, env);
  const { tokens, problems } = parseBearerTokens(API_OPERATOR_TOKENS ?? "");
  if (problems.length > 0)
    throw new ConfigError(
      `invalid configuration:\n${problems.map((p) => `  API_OPERATOR_TOKENS (<redacted>): ${p}`).join("\n")}`,
    );
  return {
    ...config,
    cursorKey: API_CURSOR_KEY ? Buffer.from(API_CURSOR_KEY, "utf8") : randomBytes(32),
    operatorTokens: tokens,
  };
}
