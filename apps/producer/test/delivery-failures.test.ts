import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createTopics,
  dropIsolated,
  eventually,
  messageCount,
  type RunningService,
  startService,
  uniqueId,
} from "@repo/testkit";
import type { ProducerStats } from "../src/stats.ts";
import { buildProducer, postRecords, registerSubjectsOnly, tickJson } from "./harness.ts";

/**
 * Kafka that never acknowledges, without touching the shared broker: the subject is registered but
 * the topic is missing (auto-creation is off), so librdkafka holds the records until
 * DELIVERY_TIMEOUT_MS passes.
 */
let producer: RunningService;
let prefix: string;

beforeAll(async () => {
  await buildProducer();
  prefix = `${uniqueId("prod_nak")}.`;
  await registerSubjectsOnly(prefix);
  producer = await startService(
    "producer",
    {
      TOPIC_PREFIX: prefix,
      DELIVERY_TIMEOUT_MS: "2000",
      PRODUCER_MAX_RECORDS: "100",
      PRODUCER_MAX_IN_FLIGHT: "100",
    },
    { waitFor: "readyz" },
  );
}, 120_000);

const stuckPrefixes: string[] = [];

afterAll(async () => {
  await producer?.stop();
  for (const isolated of [prefix, ...stuckPrefixes]) await dropIsolated({ prefix: isolated });
});

describe("when Kafka does not acknowledge", () => {
  test("the request answers 503 delivery_timeout with Retry-After, and a request beyond the local queue answers 429", async () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ value: tickJson("AAPL", i) }));
    const started = performance.now();
    const stuck = postRecords(producer, "market.ticks", { records });
    await eventually(async () => ((await queueDepth(producer)) === 100 ? true : undefined), {
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    const overflow = await postRecords(producer, "market.ticks", {
      records: [{ value: tickJson("MSFT", 1) }],
    });
    expect(overflow.status).toBe(429);
    expect(overflow.json.error?.code).toBe("queue_full");
    expect(overflow.headers.get("retry-after")).toMatch(/^\d+$/);

    const timedOut = await stuck;
    expect(timedOut.status).toBe(503);
    expect(timedOut.json.error?.code).toBe("delivery_timeout");
    expect(timedOut.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(performance.now() - started).toBeLessThan(15_000);

    const stats = await producer.json<ProducerStats>("/stats");
    expect(stats.records).toMatchObject({ accepted: 100, delivered: 0, failed: 100, throttled: 1 });
    expect(stats.kafka.queueDepth).toBe(0);
  }, 30_000);

  test("once the topic exists the same producer delivers again", async () => {
    await createTopics([{ name: `${prefix}market.ticks`, partitions: 6 }]);
    const deadline = Date.now() + 20_000;
    let response = await postRecords(producer, "market.ticks", {
      records: [{ value: tickJson("AAPL", 1) }],
    });
    while (response.status !== 200 && Date.now() < deadline) {
      response = await postRecords(producer, "market.ticks", {
        records: [{ value: tickJson("AAPL", 1) }],
      });
    }
    expect(response.status).toBe(200);
    expect(response.json.offsets).toHaveLength(1);
  }, 30_000);
});

describe("graceful shutdown", () => {
  test("SIGTERM during a large request: its records, still unacknowledged, are flushed and answered 200, then the process exits 0", async () => {
    // The topic appears only after SIGTERM, so all 1,000 records are still unacknowledged when
    // shutdown begins: only a shutdown that waits for them (the accepted request, then the flush)
    // delivers them and answers 200.
    const lateTopic = `${uniqueId("prod_flush")}.`;
    stuckPrefixes.push(lateTopic);
    await registerSubjectsOnly(lateTopic);
    const shutting = await startService(
      "producer",
      { TOPIC_PREFIX: lateTopic, DELIVERY_TIMEOUT_MS: "30000", SHUTDOWN_GRACE_MS: "25000" },
      { waitFor: "readyz" },
    );
    const records = Array.from({ length: 1000 }, (_, i) => ({ value: tickJson("NVDA", i) }));
    const inFlight = postRecords(shutting, "market.ticks", { records });
    await eventually(async () => ((await queueDepth(shutting)) === 1000 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 20,
      message: "the 1,000 records never waited in the producer's queue",
    });
    const exitCode = shutting.stop("SIGTERM", 40_000);
    await eventually(
      async () => ((await fetch(`${shutting.url}/readyz`)).status === 503 ? true : undefined),
      { timeoutMs: 5_000, intervalMs: 10, message: "the producer never began shutting down" },
    );
    await createTopics([{ name: `${lateTopic}market.ticks`, partitions: 6 }]);
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.json.offsets).toHaveLength(1000);
    expect(await exitCode).toBe(0);
    expect(await messageCount(`${lateTopic}market.ticks`)).toBe(1000);
  }, 60_000);

  test("while unacknowledged records are flushed, new requests get 503 shutting_down; exit 0 within the delivery timeout", async () => {
    const stuckPrefix = `${uniqueId("prod_term")}.`;
    stuckPrefixes.push(stuckPrefix);
    await registerSubjectsOnly(stuckPrefix);
    const draining = await startService(
      "producer",
      { TOPIC_PREFIX: stuckPrefix, DELIVERY_TIMEOUT_MS: "3000" },
      { waitFor: "readyz" },
    );
    const inFlight = postRecords(draining, "market.ticks", {
      records: [{ value: tickJson("AAPL", 1) }],
    });
    await eventually(async () => ((await queueDepth(draining)) === 1 ? true : undefined), {
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    const started = performance.now();
    const exitCode = draining.stop("SIGTERM", 20_000);
    await eventually(
      async () => ((await fetch(`${draining.url}/readyz`)).status === 503 ? true : undefined),
      {
        timeoutMs: 2_000,
        intervalMs: 10,
      },
    );
    const refused = await postRecords(draining, "market.ticks", {
      records: [{ value: tickJson("AAPL", 2) }],
    });
    expect(refused.status).toBe(503);
    expect(refused.json.error?.code).toBe("shutting_down");
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await inFlight).json.error?.code).toBe("delivery_timeout");
    expect(await exitCode).toBe(0);
    expect(performance.now() - started).toBeLessThan(8_000);
  }, 30_000);
});

async function queueDepth(service: RunningService): Promise<number> {
  return (await service.json<ProducerStats>("/stats")).kafka.queueDepth;
}
