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
  const source: StreamSource = {
    async latest(symbols) {
      reads += 1;
      const all = [...latest.values()];
      return symbols ? all.filter((t) => symbols.includes(t.symbol)) : all;
    },
    async minuteBars(symbol, fromUs, toUs) {
      return [...bars.entries()]
        .filter(([key, b]) => key.startsWith(`${symbol}|`) && b.start >= fromUs && b.start < toUs)
        .map(([, b]) => b);
    },
  };
  return {
    source,
    reads: () => reads,
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
    const stop = stream.subscribe(["AAPL"], (e) => events.push(e));
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
    const stop = stream.subscribe(null, () => {});
    await until(() => fake.reads() > 1);
    stop();
    expect(stream.clients()).toBe(0);
    await Bun.sleep(30);
    const reads = fake.reads();
    await Bun.sleep(50);
    expect(fake.reads()).toBe(reads);
    stream.close();
  });
});
