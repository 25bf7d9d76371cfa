import { afterAll, beforeAll, expect, test } from "bun:test";

import { describeServices, eventually, type RunningService, readTopic } from "@repo/testkit";
import type { ProducerStats } from "../src/stats.ts";
import { postRecords, type RelayedProducer, relayedProducer, tickJson } from "./harness.ts";

/**
 * Kafka unreachable when the producer starts, without stopping the shared broker: the producer
 * bootstraps through a loopback TCP relay to 127.0.0.1:9092 that only starts listening later.
 */
let relayed: RelayedProducer;
let producer: RunningService;
let prefix: string;

beforeAll(async () => {
  relayed = await relayedProducer("kafka", { open: false, name: "prod_late", waitFor: "healthz" });
  ({ prefix, producer } = relayed);
}, 120_000);

afterAll(() => relayed?.close());

test("a producer started before Kafka is not ready, then recovers and acknowledges every record", async () => {
  const notReady = await fetch(`${producer.url}/readyz`);
  expect(notReady.status).toBe(503);
  expect(((await notReady.json()) as { checks: { kafka: { ok: boolean } } }).checks.kafka.ok).toBe(
    false,
  );
  const early = await postRecords(producer, "market.ticks", {
    records: [{ value: tickJson("AAPL", 1) }],
  });
  expect(early.status).toBe(503);

  await eventually(() => (producer.output().includes("Kafka not reachable") ? true : undefined), {
    timeoutMs: 30_000,
    message: "the producer did not report a failed connection attempt before Kafka returned",
    diagnose: () => describeServices([producer]),
  });
  await relayed.open();

  await eventually(async () => ((await fetch(`${producer.url}/readyz`)).ok ? true : undefined), {
    timeoutMs: 60_000,
    message: "producer did not become ready after Kafka became reachable",
  });
  const symbols = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA"];
  const records = Array.from({ length: 50 }, (_, i) => ({
    value: tickJson(symbols[i % 5] as string, i + 1),
  }));
  const response = await postRecords(producer, "market.ticks", { records });
  expect(response.status).toBe(200);
  expect(response.json.offsets).toHaveLength(50);
  for (const offset of response.json.offsets ?? []) {
    expect(offset).toEqual({
      partition: expect.any(Number),
      offset: expect.stringMatching(/^\d+$/),
    });
  }
  const stats = await producer.json<ProducerStats>("/stats");
  expect(stats.records.delivered).toBe(50);
  expect(stats.kafka.queueDepth).toBe(0);
  expect((await readTopic(`${prefix}market.ticks`)).length).toBe(50);
}, 120_000);
