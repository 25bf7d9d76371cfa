/**
 * What `schemas:push` reads from the environment, validated at start like a service's config:
 * the same Kafka (brokers, SASL/TLS) and registry (URL, basic auth, CA) variables as the services,
 * plus how this environment sizes the declared topics.
 */
import { declareTopics, type TopicSpec, topics } from "@repo/contracts";
import { kafkaEnv, loadConfig, positiveInt, registryEnv } from "@repo/platform/config";

/** `TOPIC_PARTITIONS_MARKET_TICKS` for `market.ticks`, and so on. */
export function partitionsVariable(topic: string): `TOPIC_PARTITIONS_${string}` {
  return `TOPIC_PARTITIONS_${topic.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

type Count = ReturnType<typeof positiveInt>;

/**
 * Brokers and registry as the services read them, `KAFKA_REPLICATION_FACTOR` (default 1; 3 on a
 * production cluster, which gives `min.insync.replicas=2`) and `TOPIC_PARTITIONS_<TOPIC>` for each
 * declared topic (default as declared). Compose it into a larger shape, then {@link sizeTopics}.
 */
export const provisionEnv = {
  ...kafkaEnv,
  ...registryEnv,
  KAFKA_REPLICATION_FACTOR: positiveInt(1),
  ...(Object.fromEntries(
    topics.map((topic) => [partitionsVariable(topic.name), positiveInt(topic.partitions)]),
  ) as Record<`TOPIC_PARTITIONS_${string}`, Count>),
};

/** The declared topics sized by a configuration loaded with {@link provisionEnv}. */
export function sizeTopics(config: {
  KAFKA_REPLICATION_FACTOR: number;
  [variable: `TOPIC_PARTITIONS_${string}`]: number;
}): readonly TopicSpec[] {
  const partitions = Object.fromEntries(
    topics.map((topic) => [topic.name, config[partitionsVariable(topic.name)]]),
  );
  return declareTopics({ replicationFactor: config.KAFKA_REPLICATION_FACTOR, partitions });
}

export type ProvisionConfig = ReturnType<typeof loadProvisionConfig>;

/**
 * Loads and checks the configuration of `schemas:push`; a bad variable is a `ConfigError` naming it.
 *
 * @example
 *   const config = loadProvisionConfig({ KAFKA_REPLICATION_FACTOR: "3" });
 *   config.topics[0]?.replicationFactor; // 3
 */
export function loadProvisionConfig(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(provisionEnv, env);
  return { ...config, topics: sizeTopics(config) };
}
