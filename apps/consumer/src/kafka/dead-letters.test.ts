import { expect, test } from "bun:test";
import { dlqHeaders } from "@repo/contracts";
import { ProduceError } from "@repo/kafka-node/errors";
import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import type { DeadLetter } from "../runner/index.ts";
import {
  boundReason,
  createDeadLetterPublisher,
  DLQ_PREVIEW_BYTES,
  dlqEnvelopeHeaders,
} from "./dead-letters.ts";
import type { OutgoingRecord } from "./publisher.ts";

const letter = (offset: number, valueBytes: number, detail = "bad"): DeadLetter => ({
  record: {
    topic: "market.ticks",
    partition: 2,
    offset,
    key: Buffer.from("AAPL"),
    value: Buffer.alloc(valueBytes, offset % 256),
    timestamp: 0,
  },
  reason: { code: "corrupt_avro", stage: "decode", detail },
});

/**
 * A Kafka stand-in for the size rules only: a record whose value is over `brokerMaxValue` bytes is
 * refused with librdkafka's MSG_SIZE_TOO_LARGE (`too_large`), and the whole batch with it, as
 * librdkafka reports one error per produce call here.
 */
function kafka(brokerMaxValue: number, transientFailures = 0) {
  const delivered: OutgoingRecord[] = [];
  let failures = transientFailures;
  return {
    delivered,
    async publish(_topic: string, records: OutgoingRecord[]) {
      if (failures > 0) {
        failures -= 1;
        throw new ProduceError("timeout", "Kafka did not acknowledge: Local: Message timed out");
      }
      if (records.some((r) => (r.value?.length ?? 0) > brokerMaxValue)) {
        throw new ProduceError(
          "too_large",
          "Kafka did not acknowledge: Broker: Message size too large",
        );
      }
      delivered.push(...records);
    },
  };
}

const setup = (broker: ReturnType<typeof kafka>, maxRecordBytes?: number) => {
  const stats = createStats();
  const publish = createDeadLetterPublisher({
    publisher: broker,
    topic: "market.ticks.dlq",
    stats,
    log: createLogger("test", "silent"),
    maxRecordBytes,
  });
  return { stats, publish };
};

test("a letter larger than the client takes is sent as an envelope with the original's size and source", async () => {
  const broker = kafka(Number.POSITIVE_INFINITY);
  const { stats, publish } = setup(broker, 10_000);
  await publish([letter(7, 100), letter(8, 50_000)]);
  expect(broker.delivered).toHaveLength(2);
  const [small, envelope] = broker.delivered as [OutgoingRecord, OutgoingRecord];
  expect(small.value?.length).toBe(100);
  expect(small.headers?.[dlqEnvelopeHeaders.truncated]).toBeUndefined();
  expect(envelope.value?.length).toBe(DLQ_PREVIEW_BYTES);
  expect(envelope.headers).toMatchObject({
    [dlqEnvelopeHeaders.truncated]: "true",
    [dlqEnvelopeHeaders.originalSize]: "50000",
    [dlqHeaders.sourceTopic]: "market.ticks",
    [dlqHeaders.sourcePartition]: "2",
    [dlqHeaders.sourceOffset]: "8",
    [dlqHeaders.reason]: "corrupt_avro: bad",
  });
  expect(stats.counter("deadLetters.truncated").value).toBe(1);
});

test("a batch the broker refuses for one record's size is sent letter by letter: the neighbours whole, the large one as an envelope", async () => {
  const broker = kafka(20_000);
  const { stats, publish } = setup(broker);
  await publish([letter(1, 10), letter(2, 500_000), letter(3, 20)]);
  const sizes = broker.delivered.map((r) => [
    r.headers?.[dlqHeaders.sourceOffset],
    r.value?.length,
  ]);
  expect(sizes).toEqual([
    ["1", 10],
    ["2", DLQ_PREVIEW_BYTES],
    ["3", 20],
  ]);
  expect(stats.counter("deadLetters.truncated").value).toBe(1);
  expect(stats.counter("deadLetters.skipped").value).toBe(0);
});

test("a letter Kafka refuses even as an envelope is counted and skipped; its neighbours are delivered", async () => {
  const broker = kafka(DLQ_PREVIEW_BYTES - 1);
  const { stats, publish } = setup(broker);
  await publish([letter(1, 10), letter(2, 500_000)]);
  expect(broker.delivered.map((r) => r.headers?.[dlqHeaders.sourceOffset])).toEqual(["1"]);
  expect(stats.counter("deadLetters.skipped").value).toBe(1);
});

test("a transient failure is thrown for the caller to retry, never turned into an envelope", async () => {
  const broker = kafka(Number.POSITIVE_INFINITY, 1);
  const { stats, publish } = setup(broker);
  await expect(publish([letter(1, 10)])).rejects.toBeInstanceOf(ProduceError);
  await publish([letter(1, 10)]);
  expect(broker.delivered).toHaveLength(1);
  expect(stats.counter("deadLetters.truncated").value).toBe(0);
});

test("a reason longer than the bound is cut and says how long it was", () => {
  const reason = boundReason(`invalid_value: price: ${"9".repeat(50_000)}`);
  expect(reason.length).toBe(1000);
  expect(reason.endsWith("… (50022 characters)")).toBe(true);
  expect(boundReason("short")).toBe("short");
});
