/**
 * The Kafka read ceiling's reader, run on Node like the consumer: the bench's backlog read from
 * its topic by librdkafka's Node binding alone, nothing of ours, as the binding's documentation
 * shows (a `KafkaConsumer` in a fresh group, `subscribe`, `consume(n)` in a loop), with the
 * consumer's own fetch settings and poll size. Nothing is decoded or written: this is what handing
 * the records to JavaScript costs, the part of the consumer's CPU that the bare driver's ceiling
 * does not have. Prints one JSON line: records/s and CPU seconds (the whole process, and its main
 * thread alone) from the first record to the last.
 *
 *   node dist/bench-kafka-reader.js '{"brokers":"127.0.0.1:9092","topic":"…","group":"…","total":100000,…}'
 */
import { createRequire } from "node:module";
import { cpuSecondsOf, mainThreadCpuSecondsOf } from "@repo/testkit/proc";

type RdKafka = typeof import("@confluentinc/kafka-javascript");
const rdkafka = createRequire(import.meta.url)("@confluentinc/kafka-javascript") as RdKafka;

export interface KafkaReadSpec {
  brokers: string;
  topic: string;
  group: string;
  total: number;
  /** Records per `consume` call: the consumer's CONSUMER_MAX_BATCH. */
  maxBatch: number;
  /** librdkafka queued.max.messages.kbytes and fetch.max.bytes (KiB), as the consumer sets them. */
  prefetchKbytes: number;
  fetchMaxKbytes: number;
}

export interface KafkaReadResult {
  /** Records the rate and CPU are over: every one after the first batch. */
  records: number;
  rate: number;
  wallSeconds: number;
  readerCpuSeconds: number;
  mainThreadCpuSeconds: number;
}

const spec = JSON.parse(process.argv[2] ?? "{}") as KafkaReadSpec;
const consumer = new rdkafka.KafkaConsumer(
  {
    "metadata.broker.list": spec.brokers,
    "group.id": spec.group,
    "enable.auto.commit": false,
    "enable.partition.eof": false,
    "queued.max.messages.kbytes": spec.prefetchKbytes,
    "fetch.max.bytes": spec.fetchMaxKbytes * 1024,
  },
  { "auto.offset.reset": "earliest" },
);
await new Promise<void>((resolve, reject) =>
  consumer.connect({ timeout: 10_000 }, (error) => (error ? reject(error) : resolve())),
);
consumer.setDefaultConsumeTimeout(200);
consumer.subscribe([spec.topic]);

const consume = () =>
  new Promise<unknown[]>((resolve, reject) =>
    consumer.consume(spec.maxBatch, (error, messages) =>
      error ? reject(error) : resolve(messages),
    ),
  );

let read = 0;
/** Records handed over after the first batch: the ones the CPU below was spent on. */
let measured = 0;
let started = 0;
let cpuBefore = 0;
let mainBefore = 0;
const deadline = performance.now() + 600_000;
while (read < spec.total) {
  if (performance.now() > deadline) throw new Error(`read ${read} of ${spec.total} in 10 min`);
  const messages = await consume();
  if (read === 0 && messages.length > 0) {
    // From the first record: the group join and the first fetch are start-up, as in the drain.
    started = performance.now();
    cpuBefore = cpuSecondsOf(process.pid);
    mainBefore = mainThreadCpuSecondsOf(process.pid);
  } else measured += messages.length;
  read += messages.length;
}
const wallSeconds = (performance.now() - started) / 1000;
const result: KafkaReadResult = {
  records: measured,
  rate: measured / wallSeconds,
  wallSeconds,
  readerCpuSeconds: cpuSecondsOf(process.pid) - cpuBefore,
  mainThreadCpuSeconds: mainThreadCpuSecondsOf(process.pid) - mainBefore,
};
console.log(JSON.stringify(result));
await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
