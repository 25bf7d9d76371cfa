import { describe, expect, test } from "bun:test";
import type { Tick } from "@repo/contracts";
import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import { sampleTick } from "@repo/testkit";
import type { StoredBar } from "../market/rollup.ts";
import { MINUTE_US } from "../market/time.ts";
import type { StreamEvent, StreamFeed } from "./feed.ts";
import { createMarketStream, type StreamSource } from "./market-stream.ts";

const T0 = Date.UTC(2026, 0, 5, 14, 30) * 1000;
const log = createLogger("test", "silent");

function tick(symbol: string, eventTime: number, sequence = 1): Tick {
  return sampleTick({ source: "test", symbol, eventTime, sequence, price: "10", size: 1 });
}

function barOf(t: Tick, trades: bigint): StoredBar {
  return {
    start: Math.floor(t.eventTime / MINUTE_US) * MINUTE_US,
    open: "10",
    high: "10",
    low: "10",
    close: "10",
    volume: trades,
    vwap: "10",
    trades,
  };
}

/** Cassandra as the snapshot reads it: latest ticks and bars the test stores. */
function fakeSource() {
  const latest = new Map<string, Tick>();
  const bars = new Map<string, StoredBar>();
  let reads = 0;
  let gate: Promise<void> | undefined;
  const source: StreamSource = {
    async latest(symbols) {
      reads += 1;
      const all = [...latest.values()];
      await gate;
      return symbols ? all.filter((t) => symbols.includes(t.symbol)) : all;
    },
    async recentBars(symbols, fromUs, toUs) {
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
    /** Holds every snapshot read until the returned function is called. */
    hold() {
      let release = () => {};
      gate = new Promise((resolve) => {
        release = resolve;
      });
      return release;
    },
    store(t: Tick, trades: bigint) {
      latest.set(t.symbol, t);
      const bar = barOf(t, trades);
      bars.set(`${t.symbol}|${bar.start}`, bar);
    },
  };
}

/** A feed that counts starts and stops; the first `failures` starts are refused. */
function fakeFeed(failures = 0): StreamFeed & { starts: number; stops: number; running: boolean } {
  const feed = {
    starts: 0,
    stops: 0,
    running: false,
    async start() {
      feed.starts += 1;
      if (feed.starts <= failures) throw new Error("Kafka is down");
      feed.running = true;
    },
    async stop() {
      feed.stops += 1;
      feed.running = false;
    },
  };
  return feed;
}

const listener = (events: StreamEvent[], ends: string[] = []) => ({
  send: (event: StreamEvent) => events.push(event),
  end: (reason: string) => ends.push(reason),
});

const until = async (check: () => boolean) => {
  for (let i = 0; i < 400 && !check(); i++) await Bun.sleep(5);
  expect(check()).toBe(true);
};

const quote = (t: Tick): StreamEvent => ({ event: "quote", symbol: t.symbol, tick: t });

describe("the market stream", () => {
  test("a new subscriber first gets the stored quote and bars, then each newer change from the feed once", async () => {
    const fake = fakeSource();
    fake.store(tick("AAPL", T0), 1n);
    fake.store(tick("MSFT", T0), 1n);
    const stream = createMarketStream({
      source: fake.source,
      feed: fakeFeed(),
      log,
      stats: createStats(),
    });
    const events: StreamEvent[] = [];
    const stop = stream.subscribe(["AAPL"], listener(events));
    await until(() => events.length === 2);
    expect(events.map((e) => [e.event, e.symbol])).toEqual([
      ["quote", "AAPL"],
      ["bar", "AAPL"],
    ]);
    const newer = tick("AAPL", T0 + 1_000, 2);
    stream.publish([quote(newer), quote(tick("AAPL", T0 - 1_000, 9)), quote(tick("MSFT", T0 + 5))]);
    stream.publish([{ event: "bar", symbol: "AAPL", bar: barOf(newer, 2n) }]);
    stream.publish([quote(newer), { event: "bar", symbol: "AAPL", bar: barOf(newer, 2n) }]);
    expect(events.slice(2)).toEqual([
      quote(newer),
      { event: "bar", symbol: "AAPL", bar: barOf(newer, 2n) },
    ]);
    stop();
    await stream.close();
  });

  test("a change published while a subscriber's snapshot is read is in its first events, never before them", async () => {
    const fake = fakeSource();
    fake.store(tick("AAPL", T0), 1n);
    const stream = createMarketStream({
      source: fake.source,
      feed: fakeFeed(),
      log,
      stats: createStats(),
    });
    const release = fake.hold();
    const events: StreamEvent[] = [];
    stream.subscribe(null, listener(events));
    await until(() => fake.reads() === 1);
    const newer = tick("AAPL", T0 + 2_000, 3);
    stream.publish([quote(newer)]);
    expect(events).toEqual([]);
    release();
    await until(() => events.length === 2);
    // The stored (older) tick does not replace the newer one the feed delivered.
    expect(events[0]).toEqual(quote(newer));
    expect(events[1]?.event).toBe("bar");
    await stream.close();
  });

  test("the feed starts with the first subscriber, stops once nobody listened for idleStopMs, and starts again", async () => {
    const feed = fakeFeed();
    const stream = createMarketStream({
      source: fakeSource().source,
      feed,
      log,
      stats: createStats(),
      idleStopMs: 20,
    });
    expect(feed.starts).toBe(0);
    const stopA = stream.subscribe(null, listener([]));
    const stopB = stream.subscribe(["AAPL"], listener([]));
    await until(() => feed.running);
    expect(feed.starts).toBe(1);
    stopA();
    stopB();
    expect(stream.clients()).toBe(0);
    await until(() => !feed.running);
    expect(feed.stops).toBe(1);
    stream.subscribe(null, listener([]));
    await until(() => feed.running);
    expect(feed.starts).toBe(2);
    await stream.close();
    expect(feed.running).toBe(false);
  });

  test("a snapshot is read once the feed's positions are fixed, so no change falls between them", async () => {
    const fake = fakeSource();
    fake.store(tick("AAPL", T0), 1n);
    const feed = fakeFeed();
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const start = feed.start;
    let asked = false;
    feed.start = async () => {
      asked = true;
      await gate;
      await start();
    };
    const stream = createMarketStream({ source: fake.source, feed, log, stats: createStats() });
    const events: StreamEvent[] = [];
    stream.subscribe(["AAPL"], listener(events));
    await until(() => asked);
    expect(fake.reads()).toBe(0);
    open();
    await until(() => events.length === 2);
    expect(feed.running).toBe(true);
    expect(fake.reads()).toBe(1);
    await stream.close();
  });

  test("a feed that cannot start is retried; subscribers get their snapshot meanwhile", async () => {
    const fake = fakeSource();
    fake.store(tick("AAPL", T0), 1n);
    const feed = fakeFeed(2);
    const stats = createStats();
    const stream = createMarketStream({ source: fake.source, feed, log, stats, retryMaxMs: 10 });
    const events: StreamEvent[] = [];
    stream.subscribe(["AAPL"], listener(events));
    await until(() => events.length === 2);
    await until(() => feed.running);
    expect(feed.starts).toBe(3);
    expect(stats.counter("stream.errors").value).toBe(2);
    await stream.close();
  });

  test("one feed serves every subscriber: each gets the changes of its symbols", async () => {
    const fake = fakeSource();
    const symbols = Array.from({ length: 40 }, (_, i) => `S${i}`);
    for (const symbol of symbols) fake.store(tick(symbol, T0), 1n);
    const feed = fakeFeed();
    const stream = createMarketStream({ source: fake.source, feed, log, stats: createStats() });
    const everything: StreamEvent[] = [];
    const stops = [stream.subscribe(null, listener(everything))];
    const filtered = Array.from({ length: 20 }, (_, i) => {
      const events: StreamEvent[] = [];
      stops.push(stream.subscribe(i % 2 ? null : [`S${i}`], listener(events)));
      return events;
    });
    await until(
      () => everything.length === 80 && filtered.every((e, i) => e.length === (i % 2 ? 80 : 2)),
    );
    stream.publish(symbols.map((symbol) => quote(tick(symbol, T0 + 1_000, 2))));
    expect(everything).toHaveLength(120);
    expect(filtered.every((events, i) => events.length === (i % 2 ? 120 : 3))).toBe(true);
    expect(filtered[0]?.map((e) => e.symbol)).toEqual(["S0", "S0", "S0"]);
    expect(feed.starts).toBe(1);
    for (const stop of stops) stop();
    await stream.close();
  });

  test("close ends every subscription with shutdown and stops the feed", async () => {
    const feed = fakeFeed();
    const stream = createMarketStream({
      source: fakeSource().source,
      feed,
      log,
      stats: createStats(),
    });
    const ends: string[] = [];
    stream.subscribe(null, listener([], ends));
    stream.subscribe(["AAPL"], listener([], ends));
    await stream.close();
    expect(ends).toEqual(["shutdown", "shutdown"]);
    expect(stream.clients()).toBe(0);
    expect(feed.running).toBe(false);
    const late: string[] = [];
    stream.subscribe(null, listener([], late));
    expect(late).toEqual(["shutdown"]);
  });
});
