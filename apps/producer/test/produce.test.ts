import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fromJson } from "@repo/contracts";
import {
  dropIsolated,
  endOffsets,
  messageCount,
  type RunningService,
  readTopic,
} from "@repo/testkit";
import type { ProducerStats } from "../src/stats.ts";
import { isolatedProducer, postRecords, registry, tickJson } from "./harness.ts";

const SYMBOLS = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "BRK.B", "JPM", "V"];
let producer: RunningService;
let prefix: string | undefined;
let topic: string;
let subject: string;
const sent = { accepted: 0, rejected: 0, invalid: 0 };

beforeAll(async () => {
  const started = await isolatedProducer();
  producer = started.producer;
  prefix = started.prefix;
  topic = `${started.prefix}market.ticks`;
  subject = `${topic}-value`;
}, 120_000);

afterAll(async () => {
  await producer?.stop();
  await dropIsolated({ prefix });
});

const sum = (offsets: Map<number, bigint>) => [...offsets.values()].reduce((a, b) => a + b, 0n);

describe("POST /v1/topics/market.ticks/records", () => {
  test("5,000 ticks over 10 symbols in 5 requests land once each, decodable, per-symbol ordered on one partition", async () => {
    const posted: Record<string, unknown>[] = [];
    const answered: string[] = [];
    for (let request = 0; request < 5; request += 1) {
      const records = Array.from({ length: 1000 }, (_, i) => {
        const n = request * 1000 + i;
        return { value: tickJson(SYMBOLS[n % SYMBOLS.length] as string, n) };
      });
      const response = await postRecords(producer, "market.ticks", { records });
      expect(response.status).toBe(200);
      expect(response.json.offsets).toHaveLength(1000);
      posted.push(...records.map((r) => r.value));
      answered.push(...(response.json.offsets ?? []).map((o) => `${o.partition}/${o.offset}`));
      const firstOffset = response.json.offsets?.[0];
      expect(firstOffset).toEqual({
        partition: expect.any(Number),
        offset: expect.stringMatching(/^\d+$/),
      });
    }
    sent.accepted += 5000;

    expect(Number(sum(await endOffsets(topic)))).toBe(5000);
    const messages = await readTopic(topic, { untilCount: 5000, timeoutMs: 60_000 });
    expect(messages).toHaveLength(5000);

    const latestId = await registry.getLatestSchemaId(subject);
    const atPosition = new Map<string, { symbol: string; sequence: number }>();
    const bySymbol = new Map<string, { partition: number; offset: bigint; sequence: number }[]>();
    const expected = new Map(posted.map((json) => [`${json.symbol}/${json.sequence}`, json]));
    for (const message of messages) {
      const value = message.value as Buffer;
      expect(value[0]).toBe(0);
      expect(value.readUInt32BE(1)).toBe(latestId);
      const tick = (await registry.decode(value)) as { symbol: string; sequence: number };
      const json = expected.get(`${tick.symbol}/${tick.sequence}`);
      const want = fromJson("market.ticks", json);
      expect(want.ok && want.value).toEqual(tick);
      expect(message.key?.toString()).toBe(tick.symbol);
      atPosition.set(`${message.partition}/${message.offset}`, tick);
      const list = bySymbol.get(tick.symbol) ?? [];
      list.push({ partition: message.partition, offset: message.offset, sequence: tick.sequence });
      bySymbol.set(tick.symbol, list);
    }
    expect(bySymbol.size).toBe(10);
    const identity = (tick?: { symbol?: unknown; sequence?: unknown }) =>
      `${tick?.symbol}/${tick?.sequence}`;
    expect(answered.map((position) => identity(atPosition.get(position)))).toEqual(
      posted.map((json) => identity(json)),
    );
    for (const list of bySymbol.values()) {
      expect(new Set(list.map((m) => m.partition)).size).toBe(1);
      const inOffsetOrder = [...list]
        .sort((a, b) => Number(a.offset - b.offset))
        .map((m) => m.sequence);
      expect(inOffsetOrder).toEqual([...inOffsetOrder].sort((a, b) => a - b));
    }
  }, 120_000);

  test("one invalid record among 100 → 422 naming its index and field, and the topic's end offsets do not move", async () => {
    const before = await endOffsets(topic);
    const records = Array.from({ length: 100 }, (_, i) => ({
      value: tickJson("AAPL", 100_000 + i),
    }));
    (records[37] as { value: Record<string, unknown> }).value.price = "12.3456789";
    const response = await postRecords(producer, "market.ticks", { records });
    sent.rejected += 100;
    sent.invalid += 1;

    expect(response.status).toBe(422);
    expect(response.json.error?.code).toBe("invalid_records");
    expect(response.json.error?.records).toEqual([
      {
        index: 37,
        path: "records[37].value.price",
        message: expect.stringContaining("more than 6 decimal places"),
      },
    ]);
    expect(await endOffsets(topic)).toEqual(before);
  });

  test("20 concurrent requests are all acknowledged and the topic grows by their sum", async () => {
    const before = await messageCount(topic);
    const sizes = Array.from({ length: 20 }, (_, i) => 10 + i * 7);
    const responses = await Promise.all(
      sizes.map((size, r) =>
        postRecords(producer, "market.ticks", {
          records: Array.from({ length: size }, (_, i) => ({
            key: SYMBOLS[r % 10] as string,
            value: tickJson(SYMBOLS[r % 10] as string, 200_000 + r * 1000 + i),
          })),
        }),
      ),
    );
    const total = sizes.reduce((a, b) => a + b, 0);
    sent.accepted += total;
    expect(responses.map((r) => r.status)).toEqual(sizes.map(() => 200));
    expect(responses.map((r) => r.json.offsets?.length)).toEqual(sizes);
    expect((await messageCount(topic)) - before).toBe(total);
  }, 60_000);

  test("/stats counters equal what was sent and seen", async () => {
    const stats = await producer.json<ProducerStats>("/stats");
    expect(stats.service).toBe("producer");
    expect(stats.records).toMatchObject({
      accepted: sent.accepted,
      delivered: sent.accepted,
      rejected: sent.rejected,
      invalid: sent.invalid,
      failed: 0,
    });
    expect(sent.accepted).toBe(await messageCount(topic));
    expect(stats.deliveryLatencyMs.p50).toBeGreaterThan(0);
    expect(stats.deliveryLatencyMs.p99).toBeGreaterThanOrEqual(stats.deliveryLatencyMs.p50 ?? 0);
    expect(stats.kafka).toEqual({ connected: true, queueDepth: 0 });
  });
});
