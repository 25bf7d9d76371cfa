/**
 * What any Kafka client may write onto `market.ticks` (not only our producer): records just under
 * the broker's size limit and Avro whose decimals are far too long. Each is dead-lettered (or,
 * when Kafka cannot take even that, carried as a truncated envelope), and the ticks behind it are
 * stored: never a stall.
 */
import { afterAll, expect, test } from "bun:test";
import { avroTypeOf, dlqHeaders, type Tick, topicNamed } from "@repo/contracts";
import { barsFromStoredTicks, produceRaw, readTopic, storedBars } from "@repo/testkit";
import type { Schema } from "avsc";
import {
  allHandled,
  makeTicks,
  postTicks,
  type Scenario,
  scenario,
  startProducer,
} from "./harness.ts";

let s: Scenario | undefined;
afterAll(async () => {
  await s?.close();
}, 60_000);

/** Kafka's default `message.max.bytes` (1,048,588) less room for the key and the batch header. */
const NEAR_BROKER_LIMIT = 1_048_000;

/** The Tick schema with its prices as plain bytes: the same binary layout, any length allowed. */
function tickWithRawPrice(schemaId: number, tick: Tick, price: Buffer): Buffer {
  const schema = structuredClone(topicNamed("market.ticks").value) as { schema: Schema };
  const fields = (schema.schema as { fields: { name: string; type: unknown }[] }).fields;
  for (const field of fields) if (field.name === "price") field.type = "bytes";
  const body = avroTypeOf(schema.schema).toBuffer({ ...tick, price });
  const header = Buffer.alloc(5);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

test("a record just under the broker's limit and a 200,000-byte decimal are dead-lettered; the ticks around them (the later ones posted through the producer) are stored, lag reaches 0 and bars equal their ticks", async () => {
  s = await scenario("cons_neighbours");
  const good = makeTicks(2, 40);
  const consumer = await s.start();
  const producer = await startProducer(s);
  try {
    await s.produce(good.slice(0, 20));
    const huge = Buffer.alloc(NEAR_BROKER_LIMIT, 0x41);
    const hugeDecimal = tickWithRawPrice(
      s.tickSchemaId,
      { ...(good[0] as Tick), sequence: 900_001 },
      Buffer.alloc(200_000, 0x7f),
    );
    await produceRaw(s.topic.ticks, [
      { key: "SYM00", value: huge },
      { key: "SYM01", value: hugeDecimal },
    ]);
    await postTicks(producer, good.slice(20));
    const total = good.length + 2;
    const final = await allHandled(consumer, total, 60_000);
    expect(final.records).toEqual({ consumed: total, written: good.length, deadLettered: 2 });
    expect(await s.tickCount()).toBe(good.length);

    const letters = await readTopic(s.topic.deadLetter, { untilCount: 2, timeoutMs: 20_000 });
    expect(letters).toHaveLength(2);
    const byReason = new Map(letters.map((l) => [l.headers[dlqHeaders.reason]?.split(":")[0], l]));

    // Kafka cannot take a copy of the oversized record plus headers: the envelope says so.
    const oversized = byReason.get("bad_magic_byte");
    expect(oversized?.headers["dlq.truncated"]).toBe("true");
    expect(oversized?.headers["dlq.original.size"]).toBe(String(NEAR_BROKER_LIMIT));
    expect(oversized?.headers[dlqHeaders.sourceTopic]).toBe(s.topic.ticks);
    expect(oversized?.value?.length ?? 0).toBeLessThan(64 * 1024);
    expect(oversized?.value?.subarray(0, 16)).toEqual(huge.subarray(0, 16));

    // The long decimal is refused before it is converted, with a reason of bounded length.
    const decimal = byReason.get("corrupt_avro");
    const reason = decimal?.headers[dlqHeaders.reason] ?? "";
    expect(reason).toContain("200000 bytes");
    expect(reason.length).toBeLessThan(1_100);
    expect(decimal?.value).toEqual(hugeDecimal);
    expect(decimal?.headers["dlq.truncated"]).toBeUndefined();

    expect(await storedBars(s.db)).toEqual(await barsFromStoredTicks(s.db));
    expect((await fetch(`${consumer.url}/readyz`)).status).toBe(200);
  } finally {
    await producer.stop().catch(() => {});
    await consumer.stop().catch(() => {});
  }
}, 180_000);
