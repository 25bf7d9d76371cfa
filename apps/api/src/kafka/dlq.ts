import { dlqHeaders } from "@repo/contracts";
import type { KafkaRecord, OutgoingRecord } from "./console.ts";
import { partitionForKey } from "./partitioner.ts";

/** Headers the consumer adds to a truncated envelope (apps/consumer/src/kafka/dead-letters.ts). */
const TRUNCATED = "dlq.truncated";
const ORIGINAL_SIZE = "dlq.original.size";

/** Headers the api puts on a redriven record: which dead letter it came from, when and by whom. */
export const REDRIVE_HEADERS = {
  from: "redrive.from",
  at: "redrive.at",
  by: "redrive.by",
} as const;

/** A dead letter as the console shows it. */
export interface DeadLetter {
  partition: number;
  offset: string;
  timestamp: number;
  /** The reason code (`invalid_value`), and the rest of `dlq.reason`. */
  reason: string;
  detail: string;
  stage: string | null;
  source: { topic: string | null; partition: number | null; offset: string | null };
  failedAt: string | null;
  truncated: boolean;
  originalSize: number | null;
}

const header = (record: KafkaRecord, name: string): string | null => {
  const found = record.headers.find(([k]) => k === name)?.[1];
  return found === null || found === undefined ? null : found.toString("utf8");
};

/**
 * What the consumer's headers say about a dead letter.
 *
 * @example
 *   deadLetterOf(record).reason; // "unknown_schema_id"
 */
export function deadLetterOf(record: KafkaRecord): DeadLetter {
  const reasonText = header(record, dlqHeaders.reason) ?? "";
  const colon = reasonText.indexOf(":");
  const sourcePartition = header(record, dlqHeaders.sourcePartition);
  const size = header(record, ORIGINAL_SIZE);
  return {
    partition: record.partition,
    offset: String(record.offset),
    timestamp: record.timestamp,
    reason: (colon < 0 ? reasonText : reasonText.slice(0, colon)).trim() || "unknown",
    detail: colon < 0 ? "" : reasonText.slice(colon + 1).trim(),
    stage: header(record, dlqHeaders.stage),
    source: {
      topic: header(record, dlqHeaders.sourceTopic),
      partition: sourcePartition === null ? null : Number(sourcePartition),
      offset: header(record, dlqHeaders.sourceOffset),
    },
    failedAt: header(record, dlqHeaders.failedAt),
    truncated: header(record, TRUNCATED) === "true",
    originalSize: size === null ? null : Number(size),
  };
}

/** Why a dead letter cannot be redriven. */
export type RedriveRefusal =
  | "truncated"
  | "no_source_topic"
  | "source_topic_not_allowed"
  | "not_found"
  | "not_read"
  | "still_undecodable"
  | "still_invalid";

export interface RedrivePlanItem {
  dlq: { partition: number; offset: string };
  reason: string;
  target?: { topic: string; partition: number };
  key: string | null;
  refused?: { code: RedriveRefusal; message: string };
  record?: OutgoingRecord;
}

/**
 * What redriving a dead letter would send: its original key and value, unchanged, to the topic in
 * its `dlq.source.topic` header, on the partition the producer's partitioner gives its key (so a
 * symbol's order is kept), with {@link REDRIVE_HEADERS}. Refused: a truncated envelope (its bytes
 * are not the record), one without a source topic, and one whose source topic is not in `allowed`.
 *
 * @example
 *   planRedrive(record, { dlqTopic: "market.ticks.dlq", allowed: ["market.ticks"], partitions, by: "alice", at });
 */
export function planRedrive(
  record: KafkaRecord,
  options: {
    dlqTopic: string;
    allowed: readonly string[];
    /** Partition counts of the allowed topics. */
    partitions: Map<string, number>;
    by: string;
    at: string;
  },
): RedrivePlanItem {
  const letter = deadLetterOf(record);
  const key = record.key === null ? null : record.key.toString("utf8");
  const base = {
    dlq: { partition: record.partition, offset: String(record.offset) },
    reason: letter.reason,
    key,
  };
  const refuse = (code: RedriveRefusal, message: string): RedrivePlanItem => ({
    ...base,
    refused: { code, message },
  });
  if (letter.truncated)
    return refuse(
      "truncated",
      `a truncated envelope holds only the first bytes of a record of ${letter.originalSize ?? "unknown"} bytes; it cannot be sent back`,
    );
  const topic = letter.source.topic;
  if (!topic) return refuse("no_source_topic", "the dead letter has no dlq.source.topic header");
  const count = options.partitions.get(topic);
  if (!options.allowed.includes(topic) || count === undefined)
    return refuse(
      "source_topic_not_allowed",
      `redrive only writes to ${options.allowed.join(", ")}, not ${topic}`,
    );
  const partition =
    (record.key && partitionForKey(record.key, count)) ??
    letter.source.partition ??
    record.partition % count;
  const from = `${options.dlqTopic}/${record.partition}/${record.offset}`;
  return {
    ...base,
    target: { topic, partition },
    record: {
      partition,
      key: record.key,
      value: record.value,
      headers: {
        [REDRIVE_HEADERS.from]: from,
        [REDRIVE_HEADERS.at]: options.at,
        [REDRIVE_HEADERS.by]: options.by,
      },
    },
  };
}
