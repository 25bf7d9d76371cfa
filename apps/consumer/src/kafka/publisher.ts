import { createKafkaProducer, type KafkaSecurity, type OutgoingMessage } from "@repo/kafka-node";
import { isRetriable, PipelineError } from "@repo/platform/errors";

/** A record to publish with its headers (dead letters keep their original key and value bytes). */
export type OutgoingRecord = OutgoingMessage;

/** Publishes records and resolves only once Kafka acknowledged every one of them (acks=all). */
export interface RecordPublisher {
  connect(): Promise<void>;
  publish(topic: string, records: OutgoingRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * The consumer's outputs (dead letters and bars) through the shared idempotent librdkafka producer.
 *
 * @example
 *   const publisher = createRecordPublisher({ brokers, clientId: "consumer" });
 *   await publisher.connect();
 *   await publisher.publish("market.ticks.dlq", [{ key, value, headers: { "dlq.reason": "…" } }]);
 */
export function createRecordPublisher(options: {
  brokers: string[];
  security?: KafkaSecurity;
  clientId: string;
  deliveryTimeoutMs?: number;
}): RecordPublisher {
  const producer = createKafkaProducer({
    brokers: options.brokers,
    security: options.security,
    clientId: options.clientId,
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 30_000,
    // One poll batch at most (CONSUMER_MAX_BATCH dead letters, one bar per touched minute).
    maxInFlight: 100_000,
  });
  return {
    connect: () => producer.connect(10_000),
    async publish(topic, records) {
      if (records.length === 0) return;
      await producer.produceBatch(topic, records).catch((error: Error) => {
        throw new PipelineError(`Kafka did not acknowledge ${topic}: ${error.message}`, {
          retriable: isRetriable(error),
          cause: error,
        });
      });
    },
    async disconnect() {
      await producer.flush(5_000).catch(() => {});
      await producer.disconnect();
    },
  };
}
