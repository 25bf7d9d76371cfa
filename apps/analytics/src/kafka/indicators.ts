import type { Indicator } from "@repo/contracts";
import type { KafkaProducer } from "@repo/kafka-node/types";
import { isRetriable, PipelineError } from "@repo/platform/errors";
import type { SchemaRegistryClient } from "@repo/registry";
import { formatMicros } from "../indicators/fixed.ts";
import type { IndicatorRow } from "../series/book.ts";

/** An indicator row as its Avro record (`market.Indicator`). */
export function indicatorRecord(row: IndicatorRow): Indicator {
  const bands = "value" in row.value ? null : row.value;
  return {
    symbol: row.symbol,
    interval: row.interval,
    start: row.start,
    name: row.name,
    value: formatMicros("value" in row.value ? row.value.value : row.value.middle),
    lower: bands ? formatMicros(bands.lower) : null,
    upper: bands ? formatMicros(bands.upper) : null,
    provisional: row.provisional,
  };
}

/**
 * Publishes indicator rows to `<prefix>market.indicators` (key = symbol, Confluent wire format under
 * the subject's latest id) and resolves once Kafka acknowledged all of them. A subject that was never
 * pushed, the registry or Kafka being down: thrown as retriable.
 *
 * @example
 *   const publish = createIndicatorPublisher({ producer, registry, topic, subject });
 *   await publish(rows);
 */
export function createIndicatorPublisher(options: {
  producer: Pick<KafkaProducer, "produceBatch">;
  registry: Pick<SchemaRegistryClient, "idFor" | "encode">;
  topic: string;
  subject: string;
}) {
  return async (rows: IndicatorRow[]) => {
    if (rows.length === 0) return;
    const id = await options.registry.idFor(options.subject);
    const messages = await Promise.all(
      rows.map(async (row) => ({
        key: row.symbol,
        value: await options.registry.encode(id, indicatorRecord(row)),
      })),
    );
    await options.producer.produceBatch(options.topic, messages).catch((error: Error) => {
      throw new PipelineError(`Kafka did not acknowledge ${options.topic}: ${error.message}`, {
        retriable: isRetriable(error),
        cause: error,
      });
    });
  };
}
