import { loadConfig, positiveInt, streamServiceEnv, z } from "@repo/platform/config";
import { consumerRegistryEnv } from "./kafka/registry.ts";

/** Every setting of the consumer, from the environment (see README for meanings). */
export const consumerEnv = {
  ...streamServiceEnv(3003),
  ...consumerRegistryEnv,
  CONSUMER_GROUP: z.string().min(1).default("market-consumer"),
  CONSUMER_MAX_BATCH: positiveInt(2000),
  CONSUMER_POLL_TIMEOUT_MS: positiveInt(200),
  /** Polled batches between poll and commit at once (their tick writes overlap). */
  CONSUMER_MAX_IN_FLIGHT_BATCHES: positiveInt(4),
  /**
   * librdkafka queued.max.messages.kbytes: how much it fetches ahead of the loop. Its native memory
   * per queued message is several times the payload it counts: 2 MiB (≈ 20,000 ticks, 10 polls)
   * holds a drain's RSS ≈ 40 MB lower than 16 MiB did, at the same rate (measured, README).
   */
  CONSUMER_PREFETCH_KBYTES: positiveInt(2048),
  /**
   * librdkafka fetch.max.bytes in KiB: the most one fetch response holds (librdkafka's own default
   * is 50 MiB, buffered beside its queue); at least message.max.bytes (1 MB).
   */
  CONSUMER_FETCH_MAX_KBYTES: positiveInt(2048),
  /**
   * How far V8 lets its heap grow past the live size before the next full collection, in percent
   * (V8's --heap-growing-percent). Little of the consumer's heap is live, and V8's own choice (up to
   * 4 × live at a high allocation rate) holds ≈ 100 MB more RSS; 0 keeps V8's choice.
   */
  CONSUMER_HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(1000).default(100),
  /** How long a crashed member keeps its partitions before the group reassigns them. */
  CONSUMER_SESSION_TIMEOUT_MS: positiveInt(45_000),
  /** librdkafka max.poll.interval.ms; the loop keeps polling while it retries, so outages may outlast it. */
  CONSUMER_MAX_POLL_INTERVAL_MS: positiveInt(300_000),
  CASSANDRA_BATCH_MAX_ROWS: positiveInt(40),
  BAR_LATE_ALLOWANCE_MS: z.coerce.number().int().min(0).default(60_000),
  /** How long a final minute (late data, a backfill) stays in memory after a batch last touched it. */
  BAR_FINAL_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
  SHUTDOWN_GRACE_MS: positiveInt(25_000),
};

export type ConsumerConfig = ReturnType<typeof loadConsumerConfig>;

/**
 * Loads and validates the consumer's configuration, failing with the names of bad variables.
 *
 * @example
 *   const config = loadConsumerConfig({ TOPIC_PREFIX: "t1." });
 *   config.CONSUMER_GROUP; // "market-consumer"
 */
export function loadConsumerConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(consumerEnv, env);
}
