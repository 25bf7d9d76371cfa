// Proves librdkafka works against the real broker: produce N messages with an idempotent producer,
// consume them back with a consumer group, print a JSON report. Usage: node roundtrip.mjs <topic> [n]
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const Kafka = require("@confluentinc/kafka-javascript");

const [topic, countArg = "100"] = process.argv.slice(2);
const count = Number(countArg);
const brokers = process.env.KAFKA_BROKERS ?? "127.0.0.1:9092";
if (!topic) {
  console.error("usage: node roundtrip.mjs <topic> [count]");
  process.exit(2);
}

const producer = new Kafka.Producer({
  "bootstrap.servers": brokers,
  "enable.idempotence": true,
  acks: "all",
  "compression.type": "zstd",
  dr_cb: true,
});

const delivered = await new Promise((resolve, reject) => {
  const reports = [];
  producer.on("delivery-report", (err, report) => {
    if (err) return reject(err);
    reports.push(report);
    if (reports.length === count) resolve(reports);
  });
  producer.on("event.error", reject);
  producer.setPollInterval(10);
  producer.on("ready", () => {
    for (let i = 0; i < count; i++) {
      producer.produce(topic, null, Buffer.from(`message-${i}`), `key-${i % 5}`);
    }
  });
  producer.connect();
});
await new Promise((resolve) => producer.disconnect(resolve));

const consumer = new Kafka.KafkaConsumer(
  { "bootstrap.servers": brokers, "group.id": `roundtrip-${topic}`, "enable.auto.commit": false },
  { "auto.offset.reset": "earliest" },
);
const received = await new Promise((resolve, reject) => {
  const values = [];
  const timer = setTimeout(
    () => reject(new Error(`only ${values.length}/${count} consumed in 30 s`)),
    30_000,
  );
  consumer.on("ready", () => {
    consumer.subscribe([topic]);
    consumer.consume();
  });
  consumer.on("data", (message) => {
    values.push(message.value.toString());
    if (values.length === count) {
      clearTimeout(timer);
      resolve(values);
    }
  });
  consumer.on("event.error", reject);
  consumer.connect();
});
await new Promise((resolve) => consumer.disconnect(resolve));

console.log(
  JSON.stringify({
    librdkafka: Kafka.librdkafkaVersion,
    features: Kafka.features,
    delivered: delivered.length,
    received: received.length,
    distinctReceived: new Set(received).size,
  }),
);
