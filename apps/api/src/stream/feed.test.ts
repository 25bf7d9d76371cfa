import { describe, expect, test } from "bun:test";
import { avroTypeOf, type Bar, TOPIC, topicNamed, toWire } from "@repo/contracts";
import type { ConsumedRecord } from "@repo/kafka-node/types";
import { sampleTick } from "@repo/testkit";
import { createFeedDecoder } from "./feed.ts";

const schemaOf = (topic: string) => {
  const value = topicNamed(topic).value;
  if (value === "bytes") throw new Error(`${topic} has no Avro value`);
  return avroTypeOf(value.schema as Parameters<typeof avroTypeOf>[0]);
};
const tickType = schemaOf(TOPIC.ticks);
const barType = schemaOf(TOPIC.bars);
const TICK_ID = 7;
const BAR_ID = 8;

const decode = createFeedDecoder({
  types: async (id) => {
    if (id === TICK_ID) return tickType;
    if (id === BAR_ID) return barType;
    throw Object.assign(new Error(`schema id ${id} is not in the registry`), {
      name: "UnknownSchemaError",
    });
  },
  ticksTopic: "p.market.ticks",
  barsTopic: "p.market.bars.1m",
  maxFutureSkewMs: 60_000,
});

const record = (topic: string, value: Buffer | null): ConsumedRecord => ({
  topic,
  partition: 0,
  offset: 1,
  key: null,
  value,
  timestamp: Date.now(),
});

const T = Date.now() * 1000 - 5_000_000;
const tick = sampleTick({ symbol: "AAPL", eventTime: T, ingestTime: T, price: "187.25" });
const bar: Bar = {
  symbol: "AAPL",
  start: Math.floor(T / 60_000_000) * 60_000_000,
  end: Math.floor(T / 60_000_000) * 60_000_000 + 60_000_000,
  open: "1",
  high: "2",
  low: "0.5",
  close: "1.5",
  volume: 30,
  vwap: "1.25",
  trades: 3,
};

describe("the stream feed's decoding", () => {
  test("a tick of the ticks topic becomes its symbol's quote; a bar of the bars topic a stored-shape bar", async () => {
    const quote = await decode(record("p.market.ticks", toWire(TICK_ID, tickType.toBuffer(tick))));
    expect(quote).toEqual({ event: "quote", symbol: "AAPL", tick });
    const shown = await decode(record("p.market.bars.1m", toWire(BAR_ID, barType.toBuffer(bar))));
    expect(shown).toEqual({
      event: "bar",
      symbol: "AAPL",
      bar: {
        start: bar.start,
        open: "1",
        high: "2",
        low: "0.5",
        close: "1.5",
        volume: 30n,
        vwap: "1.25",
        trades: 3n,
      },
    });
  });

  test("what the consumer would not store is never shown: cancels, invalid ticks, undecodable bytes", async () => {
    const wire = (value: object) => toWire(TICK_ID, tickType.toBuffer(value));
    const cancelled = wire({ ...tick, cancelled: true });
    const future = wire({ ...tick, eventTime: Date.now() * 1000 + 3_600_000_000 });
    const unknownId = toWire(99, tickType.toBuffer(tick));
    for (const value of [cancelled, future, unknownId, Buffer.from("{}"), null])
      expect(await decode(record("p.market.ticks", value))).toBeUndefined();
    // A tick on another topic is not a quote of this pipeline.
    expect(await decode(record("other.market.ticks", wire(tick)))).toBeUndefined();
  });
});
