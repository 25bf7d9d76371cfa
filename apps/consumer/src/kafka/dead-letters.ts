import { dlqHeaders } from "@repo/contracts";
import { isRetriable } from "@repo/platform/errors";
import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";
import type { DeadLetter } from "../runner/types.ts";
import { METRIC } from "../stats.ts";
import type { OutgoingRecord, RecordPublisher } from "./publisher.ts";

/** librdkafka's default `message.max.bytes`: a copy larger than this is never even sent. */
export const DLQ_MAX_RECORD_BYTES = 1_000_000;
/** How much of an oversized key or value a truncated envelope keeps, to recognise the record. */
export const DLQ_PREVIEW_BYTES = 1024;
/** The longest reason a dead letter carries (a validation message may echo a huge value). */
export const DLQ_MAX_REASON_CHARS = 1000;

/** Headers a truncated envelope adds: it holds only the first bytes of the original. */
export const dlqEnvelopeHeaders = {
  truncated: "dlq.truncated",
  originalSize: "dlq.original.size",
  originalKeySize: "dlq.original.key.size",
} as const;

/** `text` cut to `max` characters, saying how long it was. */
export function boundReason(text: string, max = DLQ_MAX_REASON_CHARS): string {
  if (text.length <= max) return text;
  const note = `… (${text.length} characters)`;
  return `${text.slice(0, max - note.length)}${note}`;
}

/** The dead-letter form of a poison record: original key and value, reason and source in headers. */
export function deadLetterRecord({ record, reason }: DeadLetter): OutgoingRecord {
  return {
    key: record.key,
    value: record.value ?? Buffer.alloc(0),
    headers: {
      [dlqHeaders.reason]: boundReason(`${reason.code}: ${reason.detail}`),
      [dlqHeaders.stage]: reason.stage,
      [dlqHeaders.sourceTopic]: record.topic,
      [dlqHeaders.sourcePartition]: String(record.partition),
      [dlqHeaders.sourceOffset]: String(record.offset),
      [dlqHeaders.failedAt]: new Date().toISOString(),
    },
  };
}

/**
 * What Kafka gets when it cannot take the whole copy: the first {@link DLQ_PREVIEW_BYTES} of key
 * and value, the usual headers, and headers that say it was cut and how large the original was.
 */
export function truncatedEnvelope(letter: DeadLetter): OutgoingRecord {
  const whole = deadLetterRecord(letter);
  const value = letter.record.value ?? Buffer.alloc(0);
  const key = letter.record.key;
  return {
    key: key && key.length > DLQ_PREVIEW_BYTES ? key.subarray(0, DLQ_PREVIEW_BYTES) : key,
    value: value.subarray(0, DLQ_PREVIEW_BYTES),
    headers: {
      ...whole.headers,
      [dlqEnvelopeHeaders.truncated]: "true",
      [dlqEnvelopeHeaders.originalSize]: String(value.length),
      [dlqEnvelopeHeaders.originalKeySize]: String(key?.length ?? 0),
    },
  };
}

/** Bytes a record takes on the wire, near enough to compare with `message.max.bytes`. */
function recordBytes(record: OutgoingRecord): number {
  let bytes = 128 + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 8;
  }
  return bytes;
}

export interface DeadLetterPublisherOptions {
  publisher: Pick<RecordPublisher, "publish">;
  topic: string;
  stats: Stats;
  log: Logger;
  /** Largest copy sent whole (default {@link DLQ_MAX_RECORD_BYTES}). */
  maxRecordBytes?: number;
}

/**
 * Publishes dead letters so that every record ends as one of: a whole copy, a truncated envelope
 * (Kafka cannot take the copy: it is too large for the client, the broker or the topic), or a
 * counted, logged skip (Kafka refuses even the envelope). Only transient failures (Kafka
 * unreachable, timeouts) are thrown, for the caller to retry; nothing is retried forever on a
 * refusal that retrying cannot change.
 *
 * @example
 *   const publishDeadLetters = createDeadLetterPublisher({ publisher, topic: "market.ticks.dlq", stats, log });
 *   await publishDeadLetters([{ record, reason }]);
 */
export function createDeadLetterPublisher(options: DeadLetterPublisherOptions) {
  const { publisher, topic, stats, log } = options;
  const maxBytes = options.maxRecordBytes ?? DLQ_MAX_RECORD_BYTES;

  const sendable = (letter: DeadLetter): { record: OutgoingRecord; truncated: boolean } => {
    const whole = deadLetterRecord(letter);
    if (recordBytes(whole) <= maxBytes) return { record: whole, truncated: false };
    return { record: truncatedEnvelope(letter), truncated: true };
  };

  const where = ({ record }: DeadLetter) => ({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
  });

  /** One letter alone: whole, then as an envelope, then skipped. */
  async function publishOne(letter: DeadLetter) {
    let { record, truncated } = sendable(letter);
    for (;;) {
      try {
        await publisher.publish(topic, [record]);
        if (truncated) {
          stats.counter(METRIC.deadLettersTruncated).add();
          log.warn(where(letter), "dead letter too large for Kafka; sent a truncated envelope");
        }
        return;
      } catch (error) {
        if (isRetriable(error)) throw error;
        if (!truncated) {
          record = truncatedEnvelope(letter);
          truncated = true;
          continue;
        }
        stats.counter(METRIC.deadLettersSkipped).add();
        log.error(
          { ...where(letter), reason: letter.reason.code, err: error },
          "Kafka refused the dead letter even as an envelope; the record is skipped",
        );
        return;
      }
    }
  }

  return async function publishDeadLetters(letters: DeadLetter[]): Promise<void> {
    const prepared = letters.map(sendable);
    try {
      await publisher.publish(
        topic,
        prepared.map((p) => p.record),
      );
      const truncated = prepared.filter((p) => p.truncated).length;
      if (truncated > 0) {
        stats.counter(METRIC.deadLettersTruncated).add(truncated);
        for (const [i, p] of prepared.entries()) {
          if (p.truncated) {
            log.warn(
              where(letters[i] as DeadLetter),
              "dead letter too large for Kafka; sent a truncated envelope",
            );
          }
        }
      }
      return;
    } catch (error) {
      if (isRetriable(error)) throw error;
      log.warn({ err: error }, "Kafka refused a dead-letter batch; sending its letters one by one");
    }
    // Letters the batch delivered before the refusal are sent again: the topic is at-least-once.
    for (const letter of letters) await publishOne(letter);
  };
}
