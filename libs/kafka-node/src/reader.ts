import type {
  LibrdKafkaError,
  Message,
  KafkaConsumer as RdKafkaConsumer,
} from "@confluentinc/kafka-javascript";
import { rdkafka } from "./addon.ts";
import { baseKafkaConfig } from "./config.ts";
import { toConsumedRecord } from "./record.ts";
import type {
  ConsumedRecord,
  PartitionReader,
  PartitionReaderOptions,
  PartitionReadRequest,
} from "./types.ts";

export { toConsumedRecord };

/** How long one poll waits; also the broker's longest wait for an empty fetch. */
const POLL_MS = 100;
/** Records below the end that never arrive (control records, a gap) end a read after this long. */
const IDLE_END_MS = 1_500;

/**
 * A {@link PartitionReader}: a small pool of librdkafka consumers that never join a group or commit
 * (Node only: loads librdkafka). A read assigns its partition at `from`, consumes until a bound, and
 * gives the consumer back unassigned, so reads of many partitions run side by side.
 *
 * @example
 *   const reader = createPartitionReader({ brokers: ["127.0.0.1:9092"], clientId: "api" });
 *   const { records, next } = await reader.read({ topic: "market.ticks", partition: 2, from: 0,
 *     limit: 50, maxScan: 10_000, deadline: Date.now() + 5_000 });
 */
export function createPartitionReader(options: PartitionReaderOptions): PartitionReader {
  const maxConcurrent = options.maxConcurrent ?? 8;
  const idle: RdKafkaConsumer[] = [];
  const waiting: ((consumer: RdKafkaConsumer) => void)[] = [];
  let created = 0;
  let closed = false;

  const connectOne = (): Promise<RdKafkaConsumer> => {
    const consumer: RdKafkaConsumer = new rdkafka.KafkaConsumer(
      {
        ...baseKafkaConfig(options.brokers, `${options.clientId}-reader`, options.security),
        "group.id": `${options.clientId}-reader`,
        "enable.auto.commit": false,
        "enable.auto.offset.store": false,
        "fetch.wait.max.ms": POLL_MS,
        "enable.partition.eof": false,
      } as never,
      // An offset before the partition's first (deleted by retention) reads on from its first.
      { "auto.offset.reset": "earliest" },
    );
    consumer.setDefaultConsumeTimeout(POLL_MS);
    (
      consumer as unknown as { setDefaultIsTimeoutOnlyForFirstMessage?(on: boolean): void }
    ).setDefaultIsTimeoutOnlyForFirstMessage?.(true);
    return new Promise((resolve, reject) =>
      consumer.connect({ timeout: 10_000 }, (error) => {
        if (!error) return resolve(consumer);
        try {
          consumer.disconnect(() => {});
        } catch {
          // never connected: nothing to close
        }
        reject(new Error(`cannot connect to Kafka: ${error.message}`));
      }),
    );
  };

  const acquire = async (): Promise<RdKafkaConsumer> => {
    const ready = idle.pop();
    if (ready) return ready;
    if (created < maxConcurrent) {
      created += 1;
      try {
        return await connectOne();
      } catch (error) {
        created -= 1;
        throw error;
      }
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (consumer: RdKafkaConsumer, broken: boolean) => {
    try {
      consumer.unassign();
    } catch {
      broken = true;
    }
    if (broken || closed) {
      created -= 1;
      consumer.disconnect(() => {});
      const next = waiting.shift();
      if (next) acquire().then(next, () => waiting.unshift(next));
      return;
    }
    const next = waiting.shift();
    if (next) next(consumer);
    else idle.push(consumer);
  };

  const consume = (consumer: RdKafkaConsumer, max: number) =>
    new Promise<Message[]>((resolve, reject) =>
      consumer.consume(max, (error: LibrdKafkaError, messages: Message[]) =>
        error ? reject(error) : resolve(messages),
      ),
    );

  const watermarks = (consumer: RdKafkaConsumer, topic: string, partition: number, ms: number) =>
    new Promise<{ lowOffset: number; highOffset: number }>((resolve, reject) =>
      consumer.queryWatermarkOffsets(topic, partition, ms, (error, marks) =>
        error ? reject(error) : resolve(marks),
      ),
    );

  async function read(consumer: RdKafkaConsumer, request: PartitionReadRequest) {
    const records: ConsumedRecord[] = [];
    let scanned = 0;
    let next = request.from;
    const timeLeft = () => Math.max(1, request.deadline - Date.now());
    const marks = await watermarks(consumer, request.topic, request.partition, timeLeft());
    const until = request.until ?? marks.highOffset;
    if (next < marks.lowOffset) next = marks.lowOffset;
    const answer = (stopped: "limit" | "end" | "scan_limit" | "time_limit") => ({
      records,
      scanned,
      next,
      stopped,
    });
    if (next >= until) return answer("end");
    consumer.assign([{ topic: request.topic, partition: request.partition, offset: next }]);
    let idleSince = Date.now();
    for (;;) {
      if (records.length >= request.limit) return answer("limit");
      if (next >= until) return answer("end");
      if (scanned >= request.maxScan) return answer("scan_limit");
      if (Date.now() >= request.deadline) return answer("time_limit");
      const want = Math.min(request.maxScan - scanned, 500);
      const batch = await consume(consumer, want);
      let progressed = false;
      for (const message of batch) {
        if (message.topic !== request.topic || message.partition !== request.partition) continue;
        if (message.offset < next) continue;
        if (message.offset >= until) break;
        if (records.length >= request.limit || scanned >= request.maxScan) break;
        scanned += 1;
        next = message.offset + 1;
        progressed = true;
        const record = toConsumedRecord(message);
        if (!request.keep || request.keep(record)) records.push(record);
      }
      if (progressed) idleSince = Date.now();
      else if (Date.now() - idleSince >= IDLE_END_MS) return answer("end");
    }
  }

  return {
    async read(request) {
      if (closed) throw new Error("the partition reader is closed");
      const consumer = await acquire();
      let broken = false;
      try {
        return await read(consumer, request);
      } catch (error) {
        broken = true;
        throw error;
      } finally {
        release(consumer, broken);
      }
    },
    async close() {
      closed = true;
      const all = idle.splice(0);
      await Promise.all(
        all.map((consumer) => new Promise<void>((resolve) => consumer.disconnect(() => resolve()))),
      );
    },
  };
}
