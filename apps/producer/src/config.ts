import {
  clockSkewEnv,
  httpEnv,
  kafkaEnv,
  loadConfig,
  positiveInt,
  registryEnv,
  z,
} from "@repo/platform/config";

/** Everything the producer reads from the environment, validated at start-up. */
export const producerEnv = {
  ...httpEnv(3002),
  ...kafkaEnv,
  ...registryEnv,
  ...clockSkewEnv,
  /** Prepended to every logical topic (and so to its `-value` subject); isolates tests and tenants. */
  TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, "may only contain letters, digits, '.', '_' and '-'")
    .default(""),
  PRODUCER_MAX_RECORDS: positiveInt(1000),
  /** librdkafka message.timeout.ms: past it an unacknowledged request answers 503. */
  DELIVERY_TIMEOUT_MS: positiveInt(30_000),
  /** Records waiting for Kafka's acknowledgement at once; requests beyond it answer 429. */
  PRODUCER_MAX_IN_FLIGHT: positiveInt(100_000),
  /** How long a looked-up schema id is trusted before it is refreshed (stale ids keep working if the registry is down). */
  SCHEMA_CACHE_TTL_MS: positiveInt(60_000),
  /** Upper bound for a graceful shutdown (flush included). */
  SHUTDOWN_GRACE_MS: positiveInt(15_000),
};

export type ProducerConfig = ReturnType<typeof loadProducerConfig>;

/**
 * Reads and checks the producer's configuration.
 *
 * @example
 *   const config = loadProducerConfig({ TOPIC_PREFIX: "t1." });
 *   config.PORT; // 3002
 */
export function loadProducerConfig(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(producerEnv, env);
  if (config.PRODUCER_MAX_IN_FLIGHT < config.PRODUCER_MAX_RECORDS) {
    throw new Error(
      `invalid configuration:\n  PRODUCER_MAX_IN_FLIGHT (${config.PRODUCER_MAX_IN_FLIGHT}): must be at least PRODUCER_MAX_RECORDS (${config.PRODUCER_MAX_RECORDS})`,
    );
  }
  return config;
}
