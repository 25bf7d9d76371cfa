import type { Schema } from "avsc";
import { Market as BarSchemas } from "./generated/Bar.ts";
import { Market as IndicatorSchemas } from "./generated/Indicator.ts";
import { Market as TickSchemas } from "./generated/Tick.ts";

/** Schema Registry compatibility levels (Confluent REST API). */
export type Compatibility =
  | "BACKWARD"
  | "BACKWARD_TRANSITIVE"
  | "FORWARD"
  | "FORWARD_TRANSITIVE"
  | "FULL"
  | "FULL_TRANSITIVE"
  | "NONE";

/** An Avro value registered under TopicNameStrategy (`<topic>-value`). */
export interface TopicValueSchema {
  /** Path of the source schema, relative to the repository root. */
  schemaFile: string;
  /** The parsed `.avsc` JSON. */
  schema: Schema;
  subject: string;
  compatibility: Compatibility;
}

/** A Kafka topic as the product declares it; `schemas:push` creates it exactly so. */
export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  retentionMs: number;
  cleanupPolicy: "delete" | "compact";
  /** Full topic-level configuration passed to CreateTopics (includes retention and cleanup). */
  config: Record<string, string>;
  /** Ticks and bars are keyed by symbol (UTF-8); the DLQ keeps the original key bytes. */
  key: "string" | "bytes";
  /** Avro value with its subject, or raw bytes (the DLQ carries the original message bytes). */
  value: TopicValueSchema | "bytes";
  /**
   * Whether clients may write the topic through the producer's HTTP API. Bars and dead letters
   * are derived by the consumer alone; a client writing them could forge history (403).
   */
  clientWritable: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How an environment sizes the declared topics; `schemas:push` takes these from its validated
 * configuration (`KAFKA_REPLICATION_FACTOR`, `TOPIC_PARTITIONS_<TOPIC>`, see @repo/provision).
 */
export interface TopicSizing {
  /** Replicas of every topic (default 1); `min.insync.replicas` is min(2, this). */
  replicationFactor?: number;
  /** Partitions by logical topic name, overriding the declared count. */
  partitions?: Readonly<Record<string, number | undefined>>;
}

/**
 * A value schema under `<topic>-value`, BACKWARD unless declared otherwise.
 *
 * Ticks and bars are declared FULL_TRANSITIVE: producer and consumer deploy in either order
 * (FORWARD) and consumers replay everything retained, written under any earlier version
 * (BACKWARD, transitive). Under plain BACKWARD the registry accepts removing a required field,
 * which breaks consumers still on the old schema; FULL lets only optional fields with
 * defaults come and go.
 */
function avroValue(
  topic: string,
  schemaFile: string,
  schemaJson: string,
  compatibility: Compatibility = "BACKWARD",
): TopicValueSchema {
  const schema = JSON.parse(schemaJson) as Schema;
  return { schemaFile, schema, subject: `${topic}-value`, compatibility };
}

function declare(
  sizing: TopicSizing,
  name: string,
  partitions: number,
  retentionDays: number,
  key: TopicSpec["key"],
  value: TopicSpec["value"],
  writers: "clients" | "consumer only",
): TopicSpec {
  const replicationFactor = sizing.replicationFactor ?? 1;
  const retentionMs = retentionDays * DAY_MS;
  const config = {
    "cleanup.policy": "delete",
    "retention.ms": String(retentionMs),
    "min.insync.replicas": String(Math.min(2, replicationFactor)),
  };
  return {
    name,
    partitions: sizing.partitions?.[name] ?? partitions,
    replicationFactor,
    retentionMs,
    cleanupPolicy: "delete",
    config,
    key,
    value,
    clientWritable: writers === "clients",
  };
}

/** The logical names of the product's topics: the one place they are spelled. */
export const TOPIC = {
  ticks: "market.ticks",
  bars: "market.bars.1m",
  deadLetter: "market.ticks.dlq",
  indicators: "market.indicators",
} as const;

export type TopicRole = keyof typeof TOPIC;

/** The TopicNameStrategy subject of a (physical) topic's values. */
export const valueSubject = (topic: string) => `${topic}-value`;

/**
 * Physical topic names and value subjects for an environment's prefix (tests, tenants).
 *
 * @example
 *   topicNames("t1.").ticks;         // "t1.market.ticks"
 *   topicNames("").subjects.bars;     // "market.bars.1m-value"
 */
export function topicNames(prefix = "") {
  const ticks = `${prefix}${TOPIC.ticks}`;
  const bars = `${prefix}${TOPIC.bars}`;
  const deadLetter = `${prefix}${TOPIC.deadLetter}`;
  const indicators = `${prefix}${TOPIC.indicators}`;
  return {
    ticks,
    bars,
    deadLetter,
    indicators,
    subjects: {
      ticks: valueSubject(ticks),
      bars: valueSubject(bars),
      indicators: valueSubject(indicators),
    },
  };
}

/**
 * Every topic of the product, sized for an environment: declared partitions and replication 1
 * unless `sizing` says otherwise.
 *
 * @example
 *   declareTopics({ replicationFactor: 3, partitions: { "market.ticks": 24 } });
 */
export function declareTopics(sizing: TopicSizing = {}): readonly TopicSpec[] {
  return Object.freeze([
    declare(
      sizing,
      TOPIC.ticks,
      6,
      7,
      "string",
      avroValue(TOPIC.ticks, "schemas/Tick.avsc", TickSchemas.TickSchema, "FULL_TRANSITIVE"),
      "clients",
    ),
    declare(
      sizing,
      TOPIC.bars,
      6,
      30,
      "string",
      avroValue(TOPIC.bars, "schemas/Bar.avsc", BarSchemas.BarSchema, "FULL_TRANSITIVE"),
      "consumer only",
    ),
    declare(sizing, TOPIC.deadLetter, 3, 14, "bytes", "bytes", "consumer only"),
    declare(
      sizing,
      TOPIC.indicators,
      6,
      7,
      "string",
      avroValue(
        TOPIC.indicators,
        "schemas/Indicator.avsc",
        IndicatorSchemas.IndicatorSchema,
        "FULL_TRANSITIVE",
      ),
      "consumer only",
    ),
  ]);
}

/** Every topic of the product as declared (declared partitions, replication 1). */
export const topics: readonly TopicSpec[] = declareTopics();

/** The declared topic of that name; throws for an undeclared name. */
export function topicNamed(name: string): TopicSpec {
  const topic = topics.find((candidate) => candidate.name === name);
  if (!topic)
    throw new Error(
      `unknown topic ${JSON.stringify(name)}; declared: ${topics.map((t) => t.name).join(", ")}`,
    );
  return topic;
}

/**
 * Headers the consumer puts on a dead-letter record (whose value and key are the original
 * bytes), so the record can be understood and replayed without a schema of its own.
 */
export const dlqHeaders = {
  reason: "dlq.reason",
  stage: "dlq.stage",
  sourceTopic: "dlq.source.topic",
  sourcePartition: "dlq.source.partition",
  sourceOffset: "dlq.source.offset",
  failedAt: "dlq.failed.at",
} as const;
