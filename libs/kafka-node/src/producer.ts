import type { DeliveryReport, LibrdKafkaError, Producer } from "@confluentinc/kafka-javascript";
import { rdkafka } from "./addon.ts";
import { baseKafkaConfig, watchRefusals } from "./config.ts";
import { ProduceError } from "./errors.ts";
import type {
  DeliveredOffset,
  KafkaProducer,
  KafkaProducerOptions,
  OutgoingMessage,
} from "./types.ts";

const ERR_QUEUE_FULL = -184;
const ERR_MSG_TIMED_OUT = -192;
/**
 * A record over `message.max.bytes` (refused locally) or over the broker's or topic's limit
 * (`MESSAGE_TOO_LARGE`), and a batch over the broker's request limit: retrying cannot help.
 */
const TOO_LARGE = new Set([10, 18]);
const ERR_ALL_BROKERS_DOWN = -187;

interface Pending {
  offsets: (DeliveredOffset | undefined)[];
  /** Indexes whose delivery report arrived: a repeated report must not settle a batch early. */
  reported: Uint8Array;
  remaining: number;
  delivered: number;
  error?: LibrdKafkaError;
  settle: () => void;
}

/**
 * An idempotent librdkafka producer (`acks=all`, lz4, small linger) that answers per batch with
 * per-message offsets from delivery reports.
 *
 * @example
 *   const producer = createKafkaProducer({ brokers: ["127.0.0.1:9092"], clientId: "producer",
 *     deliveryTimeoutMs: 30_000, maxInFlight: 100_000 });
 *   await producer.connect();
 *   const offsets = await producer.produceBatch("market.ticks", [{ key: "AAPL", value: bytes }]);
 */
export function createKafkaProducer(options: KafkaProducerOptions): KafkaProducer {
  const config = {
    ...baseKafkaConfig(options.brokers, options.clientId, options.security),
    "enable.idempotence": true,
    acks: "all",
    "compression.type": "lz4",
    "linger.ms": 5,
    "batch.num.messages": 10_000,
    "batch.size": 1_000_000,
    "queue.buffering.max.messages": options.maxInFlight * 2,
    "queue.buffering.max.kbytes": 1_048_576,
    "message.timeout.ms": options.deliveryTimeoutMs,
    "request.timeout.ms": Math.min(30_000, options.deliveryTimeoutMs),
    dr_cb: true,
    ...options.overrides,
  };
  let inFlight = 0;
  let isConnected = false;
  let brokersDown = false;

  const onDeliveryReport = (error: LibrdKafkaError, report: DeliveryReport) => {
    const { pending, index, enqueuedAt } = report.opaque as {
      pending: Pending;
      index: number;
      enqueuedAt: number;
    };
    if (pending.reported[index] === 1) return;
    pending.reported[index] = 1;
    inFlight -= 1;
    options.onDelivery?.(performance.now() - enqueuedAt, Boolean(error));
    if (error) pending.error ??= error;
    else {
      pending.offsets[index] = { partition: report.partition, offset: String(report.offset) };
      pending.delivered += 1;
      brokersDown = false;
    }
    pending.remaining -= 1;
    if (pending.remaining === 0) pending.settle();
  };
  const refusals = watchRefusals(options.security);
  const onError = (error: LibrdKafkaError) => {
    refusals.observe(error);
    if (error.code === ERR_ALL_BROKERS_DOWN) brokersDown = true;
    options.onEvent?.({ kind: "error", message: error.message, code: error.code });
  };
  /**
   * A fresh native client per connection attempt: retrying connect() on the same client after a
   * failed attempt makes it deliver every report twice (seen when Kafka starts after the service).
   */
  const createClient = (): Producer => {
    const client: Producer = new rdkafka.Producer(config as never);
    client.on("delivery-report", onDeliveryReport);
    client.on("event.error", onError);
    client.on("event.log", refusals.observeLog);
    return client;
  };
  let producer = createClient();

  return {
    connect(timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        producer.connect({ timeout: timeoutMs }, (error) => {
          if (error) {
            const failed = producer;
            producer = createClient();
            try {
              failed.disconnect(1_000, () => {});
            } catch {
              // never connected: nothing to close
            }
            return reject(
              refusals.explain() ??
                new ProduceError("not_connected", `Kafka connect failed: ${error.message}`),
            );
          }
          isConnected = true;
          producer.setPollInBackground(true);
          resolve();
        });
      });
    },
    produceBatch(topic, messages) {
      if (!isConnected)
        return Promise.reject(new ProduceError("not_connected", "Kafka producer is not connected"));
      if (inFlight + messages.length > options.maxInFlight) {
        return Promise.reject(
          new ProduceError(
            "queue_full",
            `local queue is full (${inFlight} of ${options.maxInFlight} messages waiting)`,
          ),
        );
      }
      return new Promise((resolve, reject) => {
        const pending: Pending = {
          offsets: new Array(messages.length),
          reported: new Uint8Array(messages.length),
          remaining: messages.length,
          delivered: 0,
          settle: () => {
            if (!pending.error) return resolve(pending.offsets as DeliveredOffset[]);
            const code = pending.error.code;
            const reason =
              code === ERR_MSG_TIMED_OUT
                ? "timeout"
                : code === ERR_QUEUE_FULL
                  ? "queue_full"
                  : TOO_LARGE.has(code)
                    ? "too_large"
                    : "failed";
            reject(
              new ProduceError(
                reason,
                `Kafka did not acknowledge: ${pending.error.message}`,
                pending.delivered,
              ),
            );
          },
        };
        const enqueuedAt = performance.now();
        for (let index = 0; index < messages.length; index += 1) {
          const message = messages[index] as OutgoingMessage;
          // Counted before produce(): with background polling the delivery report can be
          // dispatched before produce() returns.
          inFlight += 1;
          try {
            producer.produce(
              topic,
              message.partition ?? null,
              message.value,
              message.key,
              Date.now(),
              { pending, index, enqueuedAt },
              message.headers &&
                Object.entries(message.headers).map(([name, value]) => ({ [name]: value })),
            );
          } catch (error) {
            inFlight -= 1;
            pending.error ??= error as LibrdKafkaError;
            pending.remaining -= messages.length - index;
            if (pending.remaining === 0) pending.settle();
            return;
          }
        }
      });
    },
    inFlight: () => inFlight,
    connected: () => isConnected && !brokersDown,
    ping(timeoutMs) {
      if (!isConnected) return Promise.resolve(false);
      return new Promise((resolve) => {
        producer.getMetadata({ timeout: timeoutMs }, (error, metadata) =>
          resolve(!error && metadata.brokers.length > 0),
        );
      });
    },
    flush(timeoutMs) {
      if (!isConnected) return Promise.resolve();
      return new Promise((resolve, reject) => {
        producer.flush(timeoutMs, (error) => (error ? reject(error) : resolve()));
      });
    },
    disconnect() {
      if (!isConnected) return Promise.resolve();
      isConnected = false;
      return new Promise((resolve) => {
        producer.disconnect(5_000, () => resolve());
      });
    },
  };
}
