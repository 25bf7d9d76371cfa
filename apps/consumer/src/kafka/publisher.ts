import { createRequire } from "node:module";
import type { DeliveryReport, LibrdKafkaError, Producer } from "@confluentinc/kafka-javascript";
import { baseKafkaConfig } from "@repo/kafka-node";

type RdKafka = typeof import("@confluentinc/kafka-javascript");
const kafka = createRequire(import.meta.url)("@confluentinc/kafka-javascript") as RdKafka;

/** A record to publish with its headers (dead letters keep their original key and value bytes). */
export interface OutgoingRecord {
  key: Buffer | string | null;
  value: Buffer;
  headers?: Record<string, string>;
}

/** Publishes records and resolves only once Kafka acknowledged every one of them (acks=all). */
export interface RecordPublisher {
  connect(): Promise<void>;
  publish(topic: string, records: OutgoingRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * An idempotent librdkafka producer for the consumer's outputs (dead letters and bars).
 *
 * @example
 *   const publisher = createRecordPublisher({ brokers, clientId: "consumer" });
 *   await publisher.connect();
 *   await publisher.publish("market.ticks.dlq", [{ key, value, headers: { "dlq.reason": "…" } }]);
 */
export function createRecordPublisher(options: {
  brokers: string[];
  clientId: string;
  deliveryTimeoutMs?: number;
}): RecordPublisher {
  const createClient = (): Producer => {
    const client: Producer = new kafka.Producer({
      ...baseKafkaConfig(options.brokers, options.clientId),
      "enable.idempotence": true,
      acks: "all",
      "compression.type": "lz4",
      "linger.ms": 5,
      "message.timeout.ms": options.deliveryTimeoutMs ?? 30_000,
      dr_cb: true,
    } as never);
    client.on("delivery-report", onDeliveryReport);
    return client;
  };
  type Waiter = { remaining: number; error?: LibrdKafkaError; settle: () => void };
  const onDeliveryReport = (error: LibrdKafkaError, report: DeliveryReport) => {
    const waiter = report.opaque as Waiter;
    if (error) waiter.error ??= error;
    waiter.remaining -= 1;
    if (waiter.remaining === 0) waiter.settle();
  };
  // A fresh native client per connection attempt: a client retried after a failed connect
  // delivers its reports twice, which would settle a publish before every record was acknowledged.
  let producer = createClient();

  return {
    connect: () =>
      new Promise((resolve, reject) =>
        producer.connect({ timeout: 10_000 }, (error) => {
          if (error) {
            const failed = producer;
            producer = createClient();
            try {
              failed.disconnect(() => {});
            } catch {
              // never connected: nothing to close
            }
            return reject(new Error(`Kafka producer cannot connect: ${error.message}`));
          }
          producer.setPollInBackground(true);
          resolve();
        }),
      ),
    publish(topic, records) {
      if (records.length === 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          remaining: records.length,
          settle: () =>
            waiter.error
              ? reject(new Error(`Kafka did not acknowledge ${topic}: ${waiter.error.message}`))
              : resolve(),
        };
        for (const [index, record] of records.entries()) {
          const headers = Object.entries(record.headers ?? {}).map(([name, value]) => ({
            [name]: value,
          }));
          try {
            producer.produce(topic, null, record.value, record.key, Date.now(), waiter, headers);
          } catch (error) {
            waiter.error ??= error as LibrdKafkaError;
            waiter.remaining -= records.length - index;
            if (waiter.remaining === 0) waiter.settle();
            return;
          }
        }
      });
    },
    disconnect: () =>
      new Promise((resolve) => {
        if (!producer.isConnected()) return resolve();
        producer.flush(5000, () => producer.disconnect(() => resolve()));
      }),
  };
}
