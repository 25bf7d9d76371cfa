import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Readiness } from "@repo/platform/http";
import {
  buildApp,
  eventually,
  messageCount,
  provisionTopics,
  type RunningService,
  startService,
  uniqueId,
} from "@repo/testkit";
import type { IngestStats } from "../src/stats.ts";

const running: RunningService[] = [];
afterEach(async () => {
  for (const service of running.splice(0).reverse()) await service.stop();
});

beforeAll(() => buildApp("producer"), 120_000);

const simulator = (producer: RunningService, total: number, env: Record<string, string> = {}) => ({
  PRODUCER_URL: producer.url,
  INGEST_PROVIDERS: "simulator",
  SIMULATOR_SYMBOLS: "AAPL,MSFT,NVDA",
  SIMULATOR_RATE: "600",
  SIMULATOR_LIMIT: String(total),
  INGEST_LINGER_MS: "50",
  ...env,
});

const allForwarded = (ingest: RunningService, total: number) =>
  eventually(
    async () => {
      const stats = await ingest.json<IngestStats>("/stats");
      return stats.records.forwarded === total && stats.buffer.size === 0 ? stats : undefined;
    },
    { timeoutMs: 30_000, message: `ingest did not forward all ${total} ticks` },
  );

describe("ingest → real producer when the producer cannot take a batch yet", () => {
  test("cold start before schemas are pushed: ingest holds every tick, /readyz says unknown_subject, and all arrive exactly once after the push", async () => {
    const TOTAL = 300;
    const prefix = `${uniqueId("ingest_cold")}.`;
    const producer = await startService(
      "producer",
      { TOPIC_PREFIX: prefix },
      { waitFor: "readyz" },
    );
    running.push(producer);
    const ingest = await startService("ingest", simulator(producer, TOTAL));
    running.push(ingest);

    const held = await eventually(
      async () => {
        const response = await fetch(`${ingest.url}/readyz`);
        const body = (await response.json()) as Readiness;
        const stats = await ingest.json<IngestStats>("/stats");
        return response.status === 503 && stats.buffer.size === TOTAL ? body : undefined;
      },
      { timeoutMs: 20_000, message: "ingest did not hold the ticks as not ready" },
    );
    expect(held.checks.forwarding?.detail).toContain("unknown_subject");
    expect(held.checks.forwarding?.detail).toContain(`${prefix}market.ticks-value`);

    await provisionTopics(prefix);
    const stats = await allForwarded(ingest, TOTAL);
    expect(stats.records).toMatchObject({ fetched: TOTAL, forwarded: TOTAL, dropped: 0 });
    expect(Object.values(stats.records.rejected).every((n) => n === 0)).toBe(true);
    expect(await messageCount(`${prefix}market.ticks`)).toBe(TOTAL);
    await eventually(async () => ((await fetch(`${ingest.url}/readyz`)).ok ? true : undefined), {
      message: "ingest did not become ready after the push",
    });
  }, 90_000);

  test("a producer with lower limits than ingest's batches (413 body size, 400 record count) receives every tick exactly once", async () => {
    const TOTAL = 900;
    const prefix = `${uniqueId("ingest_split")}.`;
    await provisionTopics(prefix);
    const producer = await startService(
      "producer",
      { TOPIC_PREFIX: prefix, PRODUCER_MAX_RECORDS: "20", MAX_BODY_BYTES: "12000" },
      { waitFor: "readyz" },
    );
    running.push(producer);
    const ingest = await startService(
      "ingest",
      simulator(producer, TOTAL, { INGEST_BATCH_SIZE: "500", INGEST_FORWARD_LANES: "1" }),
      { waitFor: "readyz" },
    );
    running.push(ingest);

    const stats = await allForwarded(ingest, TOTAL);
    expect(stats.records).toMatchObject({ fetched: TOTAL, forwarded: TOTAL, dropped: 0 });
    expect(Object.values(stats.records.rejected).every((n) => n === 0)).toBe(true);
    expect(await messageCount(`${prefix}market.ticks`)).toBe(TOTAL);
    const halvings = ingest
      .output()
      .split("\n")
      .filter((line) => line.includes("sending it in halves"));
    expect(halvings.some((line) => line.includes('"status":413'))).toBe(true);
    expect(halvings.some((line) => line.includes('"status":400'))).toBe(true);
  }, 90_000);
});
