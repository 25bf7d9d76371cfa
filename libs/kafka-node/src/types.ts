/**
 * The shapes of `@repo/kafka-node` without librdkafka: importable from code that runs under Bun
 * (tests, fakes, the producer's publisher) because nothing here loads the native addon.
 *
 * @example
 *   import type { DeliveredOffset, ConsumedRecord } from "@repo/kafka-node/types";
 */
import type { LibrdKafkaError } from "@confluentinc/kafka-javascript";
import type { KafkaSecurity } from "@repo/platform/security";

export type { KafkaSecurity };

/** One message to produce: raw key and value bytes, and optional string headers. */
export interface OutgoingMessage {
  key: Buffer | string | null;
  value: Buffer;
  headers?: Record<string, string | Buffer>;
  /** An explicit partition; librdkafka's partitioner (CRC-32 of the key) picks one when absent. */
  partition?: number;
}

/** Where Kafka stored one message. Offsets are decimal strings (they are 64-bit). */
export interface DeliveredOffset {
  partition: number;
  offset: string;
}

export interface KafkaProducerOptions {
  brokers: string[];
  clientId: string;
  /** SASL/TLS, from `kafkaSecurity(config)`; plain text when absent. */
  security?: KafkaSecurity;
  /** librdkafka `message.timeout.ms`: how long a message may wait for an acknowledgement. */
  deliveryTimeoutMs: number;
  /** Messages that may be waiting for acknowledgement at once; batches beyond it are refused. */
  maxInFlight: number;
  /** Extra librdkafka properties, applied last. */
  overrides?: Record<string, string | number | boolean>;
  /** Called for each acknowledged message with ms from enqueue to acknowledgement. */
  onDelivery?: (latencyMs: number, error: boolean) => void;
  onEvent?: (event: { kind: "error" | "log"; message: string; code?: number }) => void;
}

/** The producer surface the services use. */
export interface KafkaProducer {
  connect(timeoutMs?: number): Promise<void>;
  /**
   * Enqueues every message, then resolves with their offsets in input order once Kafka acknowledged
   * all of them. Refuses the whole batch up front (`queue_full`) when it would exceed `maxInFlight`.
   */
  produceBatch(topic: string, messages: OutgoingMessage[]): Promise<DeliveredOffset[]>;
  /** Messages enqueued and not yet acknowledged or failed. */
  inFlight(): number;
  connected(): boolean;
  /** Whether the cluster answers a metadata request within `timeoutMs`. */
  ping(timeoutMs: number): Promise<boolean>;
  flush(timeoutMs: number): Promise<void>;
  disconnect(): Promise<void>;
}

/** One record as read from a partition: raw key/value bytes, headers as buffers. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number | undefined;
  /** Header names and values, in record order (only readers that ask for them fill this). */
  headers?: [string, Buffer | null][];
}

/** An offset to commit: the NEXT offset to read (last durable offset + 1). */
export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: number;
  highWatermark: number;
  lag: number;
}

/**
 * A librdkafka group consumer with manual offset control: nothing is stored or committed unless
 * `commit` is called; assignment is cooperative-sticky.
 */
export interface ManualCommitConsumer {
  /** Connects and subscribes to `topics`. */
  start(topics: string[]): Promise<void>;
  /** Up to `max` records (possibly none after the poll timeout). */
  poll(max: number): Promise<ConsumedRecord[]>;
  /**
   * Commits offsets of partitions this member still owns (others are dropped) and returns them.
   * Synchronously by default (throws if the broker refuses). With `{ wait: false }` librdkafka only
   * queues the commit and the loop goes on: the broker's answer is never reported, and a commit
   * sent during a rebalance can be lost or land after a newer one (librdkafka retries it). Compare
   * the committed offsets `lag()` reads with what you committed, and commit again where they differ.
   */
  commit(offsets: PartitionOffset[], options?: { wait?: boolean }): PartitionOffset[];
  /** Stops/starts fetching on every assigned partition (e.g. while the sink is down). */
  pauseAll(): void;
  resumeAll(): void;
  readonly paused: boolean;
  assignments(): { topic: string; partition: number }[];
  /** Lag per assigned partition: high watermark − committed offset (low watermark if none). */
  lag(timeoutMs?: number): Promise<PartitionLag[]>;
  isConnected(): boolean;
  /** Whether a broker answers a metadata request now (librdkafka stays "connected" while brokers are down). */
  ping(timeoutMs?: number): Promise<boolean>;
  /** Closes the consumer, leaving the group. */
  stop(): Promise<void>;
}

export interface ManualCommitConsumerOptions {
  brokers: string[];
  groupId: string;
  clientId: string;
  /** SASL/TLS, from `kafkaSecurity(config)`; plain text when absent. */
  security?: KafkaSecurity;
  /** How long one poll waits for the first record. */
  pollTimeoutMs?: number;
  /** Extra librdkafka properties. */
  config?: Record<string, string | number | boolean>;
  onRebalance?: (
    event: "assign" | "revoke",
    partitions: { topic: string; partition: number }[],
  ) => void;
  onError?: (error: LibrdKafkaError) => void;
}

/** Where to look up a partition's offset: its first, its end, or the first record at or after a time (epoch ms). */
export type OffsetQuery = "earliest" | "latest" | { timestamp: number };

/** A partition as the cluster's metadata describes it. */
export interface PartitionInfo {
  partition: number;
  /** Broker id of the leader, or null while it has none. */
  leader: number | null;
  replicas: number[];
}

/** A topic as the cluster's metadata describes it; `missing` when the cluster does not know it. */
export interface TopicMetadata {
  name: string;
  missing: boolean;
  partitions: PartitionInfo[];
}

/** A consumer group's members as Kafka's DescribeGroups reports them. */
export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  assignment: { topic: string; partition: number }[];
}

export interface GroupDescription {
  groupId: string;
  /** Kafka's names: `Stable`, `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Dead`, `Unknown`. */
  state: string;
  protocol: string;
  members: GroupMember[];
}

/**
 * Cluster administration on librdkafka's admin client: topics, partitions, offsets by time, groups,
 * committed offsets, and (through a group-less commit) setting an inactive group's offsets.
 */
export interface KafkaAdmin {
  /** Every topic name the cluster reports, internal ones (`__consumer_offsets`) included. */
  listTopics(): Promise<string[]>;
  /** Partitions, leaders and replicas of `topics`, in the order asked. */
  describeTopics(topics: string[]): Promise<TopicMetadata[]>;
  /**
   * One offset per query: the partition's first (`earliest`), its end (`latest`), or the first
   * record at or after the timestamp (-1 when there is none), in one ListOffsets round.
   */
  listOffsets(
    queries: { topic: string; partition: number; at: OffsetQuery }[],
  ): Promise<{ topic: string; partition: number; offset: number }[]>;
  listGroups(): Promise<{ groupId: string; state: string }[]>;
  describeGroups(groupIds: string[]): Promise<GroupDescription[]>;
  /** Each group's committed offsets (the next offset it reads), per topic and partition. */
  committedOffsets(groupIds: string[]): Promise<Map<string, PartitionOffset[]>>;
  /**
   * Commits `offsets` for `groupId` from outside the group (no join): Kafka accepts it only while the
   * group has no members, and refuses it otherwise (the caller checks the state first).
   */
  commitGroupOffsets(groupId: string, offsets: PartitionOffset[]): Promise<void>;
  /**
   * Chosen configuration entries of topics (`retention.ms`, `cleanup.policy`) as the brokers report
   * them; null for an entry the broker does not report.
   */
  topicConfigs(topics: string[], names: string[]): Promise<Map<string, Map<string, string | null>>>;
  close(): Promise<void>;
}

export interface KafkaAdminOptions {
  brokers: string[];
  clientId: string;
  security?: KafkaSecurity;
  /** How long one admin request may take. */
  timeoutMs?: number;
}

/** A bounded read of one partition (see {@link PartitionReader.read}). */
export interface PartitionReadRequest {
  topic: string;
  partition: number;
  /** The first offset to read (a deleted one reads on from the partition's first). */
  from: number;
  /** Records kept at most. */
  limit: number;
  /** Records read at most, kept or not. */
  maxScan: number;
  /** Epoch ms when the read answers with what it has. */
  deadline: number;
  keep?: (record: ConsumedRecord) => boolean;
  /** Stop before this offset (default: the partition's end when the read starts). */
  until?: number;
}

export interface PartitionReadResult {
  records: ConsumedRecord[];
  scanned: number;
  /** Where a following read continues. */
  next: number;
  stopped: "limit" | "end" | "scan_limit" | "time_limit";
}

/** Reads partitions from any offset without a group: librdkafka consumers with assign and seek. */
export interface PartitionReader {
  read(request: PartitionReadRequest): Promise<PartitionReadResult>;
  close(): Promise<void>;
}

export interface PartitionReaderOptions {
  brokers: string[];
  clientId: string;
  security?: KafkaSecurity;
  /** Reads that may run at once (each holds one librdkafka consumer); more wait for a free one. */
  maxConcurrent?: number;
}

/** Follows topics from their end without a group (see {@link TopicTail}). */
export interface TopicTailOptions {
  brokers: string[];
  clientId: string;
  security?: KafkaSecurity;
  topics: string[];
  /** Each poll's records, in partition order; the tail waits for it before polling again. */
  onRecords: (records: ConsumedRecord[]) => void | Promise<void>;
  onError?: (error: Error) => void;
  /** How often partitions added to the topics are picked up (default 30 s). */
  refreshMs?: number;
  /**
   * How long records keep being gathered after the first of a hand-over (default 0: each poll's
   * records at once). Costs that much latency, saves work per hand-over downstream.
   */
  lingerMs?: number;
}

/**
 * Every partition of some topics, read from the end as of `start()`, by one librdkafka consumer
 * that never joins a group or commits: each process sees every record, nothing is left behind.
 */
export interface TopicTail {
  /** Assigns every partition at its end (topics that do not exist yet are retried) and polls. */
  start(): Promise<void>;
  /** Stops polling and closes the consumer. */
  stop(): Promise<void>;
  /** Partitions assigned now. */
  assigned(): number;
}
