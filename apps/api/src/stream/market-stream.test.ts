import { describe, expect, test } from "bun:test";
import type { Tick } from "@repo/contracts";
import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import { sampleTick } from "@repo/testkit";
import type { StoredBar } from "../market/rollup.ts";
import { MINUTE_US } from "../market/time.ts";
import { createMarketStream, type StreamEvent, type StreamSource } from "./market-stream.ts";

const T0 = Date.UTC(2026, 0, 5, 14, 30) * 1000;

function tick(symbol: string, eventTime: number, sequence = 1): Tick {
  return sampleTick({ source: "test", symbol, eventTime, sequence, price: "10", size: 1 });
}

function fakeSource() {
  const latest = new Map<string, Tick>();
  const bars = new Map<string, StoredBar>();
  let reads = 0;
  let barReads = 0;
  const source: StreamSource = {
    async latest(symbols) {
      reads += 1;
      const all = [...latest.values()];
      return symbols ? all.filter((t) => symbols.includes(t.symbol)) : all;
    },
    async recentBars(symbols, fromUs, toUs) {
      barReads += 1;
      const found = new Map<string, StoredBar[]>();
      for (const [key, b] of bars) {
        const symbol = key.split("|")[0] as string;
        if (symbols.includes(symbol) && b.start >= fromUs && b.start < toUs)
          found.set(symbol, [...(found.get(symbol) ?? []), b]);
      }
      return found;
    },
  };
  return {
    source,
    reads: () => reads,
    barReads: () => barReads,
    store(t: Tick, trades: bigint) {
      latest.set(t.symbol, t);
      const start = Math.floor(t.eventTime / MINUTE_US) * MINUTE_US;
      bars.set(`${t.symbol}|${start}`, {
        start,
        open: "10",
        high: "10",
        low: "10",
        close: "10",
        volume: trades,
        vwap: "10",
        trades,
      });
    },
  };
}

const listener = (events: StreamEvent[], ends: string[] = []) => ({
  send: (event: StreamEvent) => events.push(event),
  end: (reason: string) => ends.push(reason),
});

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await Bun.sleep(5);
  expect(check()).toBe(true);
};

describe("the market stream", () => {
  test("a new subscriber first gets the current quote and bar, then each change once", async () => {
    const fake = fakeSource();
    fake.store(tick("AAPL", T0), 1n);
    fake.store(tick("MSFT", T0), 1n);
    const stream = createMarketStream({
      source: fake.source,
      pollMs: 10,
      log: createLogger("test", "silent"),
      stats: createStats(),
    });
    const events: StreamEvent[] = [];
    const stop = stream.subscribe(["AAPL"], listener(events));
    await until(() => events.length === 2);
    expect(events.map((e) => [e.event, e.symbol])).toEqual([
      ["quote", "AAPL"],
      ["bar", "AAPL"],
    ]);
    fake.store(tick("AAPL", T0 + 1_000, 2), 2n);
    await until(() => events.length === 4);
    expect(events.slice(2).map((e) => e.event)).toEqual(["quote", "bar"]);
    const reads = fake.reads();
    await until(() => fake.reads() >= reads + 3);
    expect(events).toHaveLength(4);
    stop();
    stream.close();
  });

  test("polling stops when the last subscriber leaves", async () => {
    const fake = fakeSource();
    const stream = createMarketStream({
      source: fake.source,
      pollMs: 10,
      log: createLogger("test", "silent"),
      stats: createStats(),
    });
    const stop = stream.subscribe(null, listener([]));
    await until(() => fake.reads() > 1);
    stop();
    expect(stream.clients()).toBe(0);
    await Bun.sleep(30);
    const reads = fake.reads();
    await Bun.sleep(50);
    expect(fake.reads()).toBe(reads);
    stream.close();
  });

  test("one poll serves every subscriber: a poll's reads do not grow with subscribers or filters", async () => {
    const fake = fakeSource();
    const symbols = Array.from({ length: 40 }, (_, i) => `S${i}`);
    for (const symbol of symbols) fake.store(tick(symbol, T0), 1n);
    const stream = createMarketStream({
      source: fake.source,
      pollMs: 10,
      log: createLogger("test", "silent"),
      stats: createStats(),
    });
    const everything: StreamEvent[] = [];
    const stops = [stream.subscribe(null, listener(everything))];
    const filtered = Array.from({ length: 20 }, (_, i) => {
      const events: StreamEvent[] = [];
      stops.push(stream.subscribe(i % 2 ? null : [`S${i}`], listener(events)));
      return events;
    });
    await until(() => everything.length === 80);
    const [reads, barReads] = [fake.reads(), fake.barReads()];
    for (const symbol of symbols) fake.store(tick(symbol, T0 + 1_000, 2), 2n);
    await until(() => everything.length === 160);
    expect(fake.reads() - reads).toBeLessThanOrEqual(2);
    // every changed symbol's bars in one read (they share a minute), not one per symbol or subscriber
    expect(fake.barReads() - barReads).toBe(1);
    await until(() => filtered.every((events, i) => events.length === (i % 2 ? 160 : 4)));
    expect(filtered[0]?.map((e) => e.symbol)).toEqual(["S0", "S0", "S0", "S0"]);
    for (const stop of stops) stop();
    stream.close();
  });

  test("close ends every subscription with shutdown and stops polling", async () => {
    const fake = fakeSource();
    const stream = createMarketStream({
      source: fake.source,
      pollMs: 10,
      log: createLogger("test", "silent"),
      stats: createStats(),
    });
    const ends: string[] = [];
    stream.subscribe(null, listener([], ends));
    stream.subscribe(["AAPL"], listener([], ends));
    stream.close();
    expect(ends).toEqual(["shutdown", "shutdown"]);
    expect(stream.clients()).toBe(0);
    const late: string[] = [];
    stream.subscribe(null, listener([], late));
    expect(late).toEqual(["shutdown"]);
  });
});
