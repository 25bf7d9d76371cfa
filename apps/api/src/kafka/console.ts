import { PipelineError } from "@repo/platform/errors";

/**
 * Kafka as the console reads and acts on it, behind a port so the HTTP edge can be tested alone under
 * Bun (this module never loads librdkafka; `rdkafka-console.ts` implements it on `@repo/kafka-node`).
 */
export interface KafkaConsole {
  /**
   * Every topic but Kafka's internal ones, with partitions and end offsets, and for each time of
   * `sinceMs` the first offset at or after it per partition (the end when none): all topics in
   * one ListOffsets request per time.
   */
  topics(sinceMs?: number[], prefix?: string): Promise<TopicInfo[]>;
  /** Earliest and latest offset of each partition of `topic`, plus its partition count. */
  offsets(topic: string): Promise<PartitionOffsets[]>;
  /** Per partition, the first offset whose timestamp is at or after `ms` (the latest offset when none). */
  offsetsForTime(topic: string, ms: number): Promise<Map<number, bigint>>;
  /** `retention.ms` (and `cleanup.policy`) of each topic. */
  retention(
    topics: string[],
  ): Promise<Map<string, { retentionMs: number | null; cleanupPolicy: string | null }>>;
  groups(): Promise<GroupInfo[]>;
  /** Committed offsets of each group (one request for all), by topic and partition. */
  committed(groups: string[]): Promise<Map<string, Map<string, Map<number, bigint>>>>;
  /** Sets a group's committed offsets (Kafka refuses it while the group has members). */
  commitOffsets(group: string, topic: string, offsets: Map<number, bigint>): Promise<void>;
  /**
   * Reads `partition` of `topic` from `from`, keeping the records `keep` accepts, until `limit` were
   * kept, `maxScan` were read, the partition's end (at call time) or `deadline` (epoch ms).
   */
  read(request: ReadRequest): Promise<ReadResult>;
  /** Produces records (idempotent, acks=all) to explicit partitions; resolves once Kafka acknowledged. */
  produce(
    topic: string,
    records: OutgoingRecord[],
  ): Promise<{ partition: number; offset: string }[]>;
  close(): Promise<void>;
}

export interface PartitionOffsets {
  partition: number;
  earliest: bigint;
  latest: bigint;
}

export interface TopicInfo {
  name: string;
  partitions: PartitionOffsets[];
  replicationFactor: number;
  /** Per time asked, per partition: the first offset at or after it. */
  since: Map<number, bigint>[];
}

export interface GroupInfo {
  group: string;
  state: string;
  protocol: string;
  members: {
    memberId: string;
    clientId: string;
    host: string;
    assignment: { topic: string; partitions: number[] }[];
  }[];
}

export interface KafkaRecord {
  partition: number;
  offset: bigint;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: [string, Buffer | null][];
}

export interface ReadRequest {
  topic: string;
  partition: number;
  from: bigint;
  limit: number;
  maxScan: number;
  deadline: number;
  keep?: (record: KafkaRecord) => boolean;
  /** Stop before this offset (default: the partition's end when the read started). */
  until?: bigint;
}

export interface ReadResult {
  records: KafkaRecord[];
  /** Records read (kept or not). */
  scanned: number;
  /** Where a following read continues. */
  next: bigint;
  /** Why the read stopped. */
  stopped: "limit" | "end" | "scan_limit" | "time_limit";
}

export interface OutgoingRecord {
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string | Buffer>;
}

/** A Kafka request failed (broker down, topic gone): a 503 for the HTTP edge, details in the log. */
export class KafkaUnavailableError extends PipelineError {
  override name = "KafkaUnavailableError";
  constructor(what: string, cause: unknown) {
    super(`Kafka ${what} failed: ${(cause as Error)?.message ?? String(cause)}`, {
      retriable: true,
      cause,
    });
  }
}

/** The topic does not exist (or has no partition of that number). */
export class UnknownTopicError extends PipelineError {
  override name = "UnknownTopicError";
  constructor(readonly topic: string) {
    super(`no topic ${topic}`, { retriable: false });
  }
}

/** Topics one listing covers (names sorted, then cut). */
export const MAX_TOPICS = 500;
