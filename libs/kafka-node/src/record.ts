import type { Message, MessageHeader } from "@confluentinc/kafka-javascript";
import type { ConsumedRecord } from "./types.ts";

/**
 * A librdkafka message as a {@link ConsumedRecord} without its headers: what the consumer's poll
 * hands on (it reads none, so it does not pay for copying them).
 *
 * @example
 *   consumer.consume(500, (error, messages) => resolve(messages.map(toRecordWithoutHeaders)));
 */
export function toRecordWithoutHeaders(message: Message): ConsumedRecord {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: bytesOf(message.key),
    value: message.value,
    timestamp: message.timestamp,
  };
}

/**
 * A librdkafka message as a {@link ConsumedRecord}, headers included in record order.
 *
 * @example
 *   const records = messages.map(toConsumedRecord); // records[0].headers: [["dlq.reason", <Buffer>]]
 */
export function toConsumedRecord(message: Message): ConsumedRecord {
  const record = toRecordWithoutHeaders(message);
  record.headers = headersOf(message.headers);
  return record;
}

function headersOf(headers: MessageHeader[] | undefined): [string, Buffer | null][] {
  return (headers ?? []).flatMap((header) =>
    Object.entries(header).map(
      ([name, value]) => [name, value == null ? null : bytesOf(value)] as [string, Buffer | null],
    ),
  );
}

function bytesOf(value: string | Buffer | null | undefined): Buffer | null {
  if (value == null) return null;
  return Buffer.isBuffer(value) ? value : Buffer.from(String(value));
}
