import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { avroTypeOf, type Tick, topicNamed } from "@repo/contracts";
import {
  buildApp,
  eventually,
  messageCount,
  provisionTopics,
  type RunningService,
  readTopic,
  startService,
  uniqueId,
} from "@repo/testkit";
import type { ProducerStats } from "../../producer/src/stats.ts";
import type { IngestStats } from "../src/stats.ts";

const TOTAL = 900;
const SYMBOLS = ["AAPL", "MSFT", "NVDA"];
let prefix: string;
let producer: RunningService | undefined;
let ingest: RunningService | undefined;

beforeAll(async () => {
  prefix = `${uniqueId("ingest")}.`;
  await Promise.all([buildApp("producer"), provisionTopics(prefix)]);
  producer = await startService("producer", { TOPIC_PREFIX: prefix }, { waitFor: "readyz" });
  ingest = await startService(
    "ingest",
    {
      PRODUCER_URL: producer.url,
      INGEST_PROVIDERS: "simulator",
      SIMULATOR_SYMBOLS: SYMBOLS.join(","),
      SIMULATOR_RATE: "300",
      SIMULATOR_LIMIT: String(TOTAL),
      SIMULATOR_SEED: "11",
      INGEST_LINGER_MS: "50",
    },
    { waitFor: "readyz" },
  );
}, 180_000);

afterAll(async () => {
  await ingest?.stop();
  await producer?.stop();
});

describe("ingest → real producer → Kafka", () => {
  test("ticks forwarded by ingest arrive on market.ticks and both services' /stats agree", async () => {
    const started = performance.now();
    const stats = await eventually(
      async () => {
        const s = await (ingest as RunningService).json<IngestStats>("/stats");
        return s.records.forwarded === TOTAL && s.buffer.size === 0 ? s : undefined;
      },
      { timeoutMs: 30_000, message: "ingest did not forward every simulated tick" },
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `ingest forwarded ${TOTAL} ticks through the real producer in ${seconds.toFixed(2)} s`,
    );
    expect(stats.records).toMatchObject({ fetched: TOTAL, forwarded: TOTAL, dropped: 0 });
    expect(Object.values(stats.records.rejected).every((n) => n === 0)).toBe(true);
    expect(stats.providers.simulator).toMatchObject({
      errors: 0,
      schedule: { cron: "* * * * * *" },
    });

    const producerStats = await (producer as RunningService).json<ProducerStats>("/stats");
    expect(producerStats.records).toMatchObject({ accepted: TOTAL, delivered: TOTAL, rejected: 0 });

    const topic = `${prefix}market.ticks`;
    expect(await messageCount(topic)).toBe(TOTAL);
    const messages = await readTopic(topic, { untilCount: TOTAL, timeoutMs: 30_000 });
    const spec = topicNamed("market.ticks");
    const type = avroTypeOf((spec.value as { schema: Parameters<typeof avroTypeOf>[0] }).schema);
    const bySymbol = new Map<string, number[]>();
    const partitionOf = new Map<string, Set<number>>();
    for (const message of [...messages].sort(
      (a, b) => a.partition - b.partition || Number(a.offset - b.offset),
    )) {
      const value = message.value as Buffer;
      expect(value[0]).toBe(0);
      const tick = type.fromBuffer(value.subarray(5)) as Tick;
      expect(message.key?.toString()).toBe(tick.symbol);
      bySymbol.set(tick.symbol, [...(bySymbol.get(tick.symbol) ?? []), tick.sequence]);
      partitionOf.set(
        tick.symbol,
        (partitionOf.get(tick.symbol) ?? new Set()).add(message.partition),
      );
    }
    for (const symbol of SYMBOLS) {
      expect(partitionOf.get(symbol)?.size).toBe(1);
      expect(bySymbol.get(symbol)).toEqual(
        Array.from({ length: TOTAL / SYMBOLS.length }, (_, i) => i + 1),
      );
    }
  }, 90_000);

  test("SIGTERM stops ingest cleanly with exit code 0", async () => {
    expect(await (ingest as RunningService).stop("SIGTERM", 20_000)).toBe(0);
    expect((ingest as RunningService).output()).toContain("final counts");
  }, 30_000);
});
