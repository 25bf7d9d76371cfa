import { describe, expect, test } from "bun:test";
import { type Tick, tickIdentity } from "@repo/contracts";
import { cleanupsAfterEach, until } from "@repo/testkit";
import { createForwarder } from "../forward/forwarder.ts";
import { alwaysOpen, type ConnectionTimings, type MarketClock } from "../stream/connection.ts";
import { createWebSocketProvider } from "../stream/websocket-provider.ts";
import { type FakeAlpaca, startFakeAlpaca } from "../testing/fake-alpaca.ts";
import { fastTimings, ingestHarness } from "../testing/ingest.ts";
import { createAlpacaHistory } from "./alpaca-history.ts";
import { alpacaProtocol } from "./alpaca-stream.ts";
import { createHttpSource } from "./http-source.ts";
import type { StreamProvider } from "./provider.ts";

const cleanups = cleanupsAfterEach();

interface HarnessOptions {
  symbols?: string[];
  timings?: Partial<ConnectionTimings>;
  capacity?: number;
  maxPage?: number;
  perConnection?: number;
  clock?: MarketClock;
  regularHoursOnly?: boolean;
  fake?: FakeAlpaca;
  streamUrl?: string;
}

function harness(options: HarnessOptions = {}) {
  const fake = options.fake ?? startFakeAlpaca({ maxPage: options.maxPage });
  cleanups.push(() => fake.stop());
  const symbols = options.symbols ?? ["AAPL", "MSFT"];
  let wake = () => {};
  const { stats, buffer, captured, ingest } = ingestHarness({
    capacity: options.capacity ?? 100_000,
    lanes: 2,
    onBuffered: () => wake(),
  });
  const http = createHttpSource({
    name: "alpaca-history",
    log: captured.log,
    ratePerSecond: 1_000,
    timeoutMs: 2_000,
    retries: 2,
    minRetryDelayMs: 5,
    breakerThreshold: 10,
    breakerResetMs: 60_000,
  });
  cleanups.push(() => http.close());
  const history = createAlpacaHistory({
    dataUrl: fake.dataUrl,
    feed: "iex",
    keyId: fake.keyId,
    secretKey: fake.secretKey,
    http,
    kinds: ["trades", "quotes"],
  });
  const provider = createWebSocketProvider({
    name: "alpaca",
    symbols,
    maxSymbolsPerConnection: options.perConnection ?? 30,
    protocol: (shard) =>
      alpacaProtocol({
        streamUrl: options.streamUrl ?? fake.streamUrl,
        feed: "iex",
        keyId: fake.keyId,
        secretKey: fake.secretKey,
        symbols: shard,
      }),
    history,
    regularHoursOnly: options.regularHoursOnly ?? false,
    timings: { ...fastTimings, ...options.timings },
    gapOverlapMs: 200,
    gapMaxMs: 3_600_000,
    clock: options.clock ?? alwaysOpen,
    log: captured.log,
  });
  cleanups.push(() => provider.stop());
  const buffered = () => buffer.peek(buffer.capacity);
  const tradeIds = (symbol: string) =>
    buffered()
      .filter((t) => t.symbol === symbol && t.kind === "TRADE")
      .map((t) => t.sequence)
      .sort((a, b) => a - b);
  return {
    fake,
    provider,
    ingest,
    buffer,
    stats,
    history,
    captured,
    buffered,
    tradeIds,
    onBuffered: (fn: () => void) => {
      wake = fn;
    },
    view: () => view(provider),
    start: () => provider.start(ingest.sinkFor("alpaca")),
  };
}

interface ConnectionView {
  state: string;
  stateSinceMs: number;
  reconnects: number;
  lastError: { code: string; message: string } | null;
  nextAttemptAt: string | null;
  ignored: Record<string, number>;
  symbols: string[];
}
interface ProviderView {
  state: string;
  messages: number;
  messagesPerSecond: number;
  reconnects: number;
  lastMessageAgeMs: number | null;
  ticks: { accepted: number; rejected: number; dropped: number };
  recovery: { gaps: number; pending: number; recovered: number; fetched: number; failed: number };
  connections: ConnectionView[];
}
const view = (provider: StreamProvider) => provider.view() as unknown as ProviderView;

describe("alpaca market data stream v2 against a local server speaking the protocol", () => {
  test("streams every trade and quote the server sends: the trade id is the sequence, a quote has the identity of its history copy", async () => {
    const h = harness();
    h.start();
    await until(() => h.fake.subscribedClients === 1, "no subscription");
    expect(h.fake.received[0]).toEqual({ action: "auth", key: "AKFAKEKEY", secret: "fake-secret" });
    expect(h.fake.received[1]).toEqual({
      action: "subscribe",
      trades: ["AAPL", "MSFT"],
      quotes: ["AAPL", "MSFT"],
    });
    const ids = [...h.fake.trades("AAPL", 20), ...h.fake.trades("MSFT", 5)];
    h.fake.quotes("AAPL", 8);
    h.fake.send([{ T: "c", S: "AAPL", x: "V", oi: 1, op: 100, os: 1, ci: 99, cp: 100.1, cs: 1 }]);
    await until(() => h.buffer.size === 33, "not every trade and quote arrived");
    expect([...h.tradeIds("AAPL"), ...h.tradeIds("MSFT")]).toEqual(ids);

    const streamed = new Set(h.buffered().map((t) => tickIdentity(t)));
    const fromHistory: string[] = [];
    for await (const page of h.history.pages({
      symbols: ["AAPL", "MSFT"],
      fromMs: Date.now() - 60_000,
      toMs: Date.now(),
    }))
      for (const tick of page.ticks) fromHistory.push(tickIdentity(tick as Tick));
    expect(fromHistory.length).toBe(33);
    expect(fromHistory.every((identity) => streamed.has(identity))).toBe(true);

    const stats = h.view();
    expect(stats).toMatchObject({ state: "streaming", reconnects: 0 });
    expect(stats.ticks).toEqual({ accepted: 33, rejected: 0, dropped: 0 });
    expect(stats.messages).toBeGreaterThanOrEqual(7);
    expect(stats.lastMessageAgeMs).not.toBeNull();
    expect(stats.connections[0]?.ignored).toEqual({ corrections: 1 });
    expect(h.provider.check()).toEqual({ ok: true });
    expect(h.captured.text()).not.toContain("fake-secret");
  });

  test("auth failure (402) stops the connection for good: one attempt, not ready, the reason named", async () => {
    const h = harness();
    h.fake.behaviour = "auth_failure";
    h.start();
    await until(() => h.view().state === "failed", "the stream did not give up");
    await Bun.sleep(300); // more than the reconnect backoff: a retrying client would be back by now
    expect(h.fake.connections).toBe(1);
    expect(h.view().connections[0]?.lastError?.code).toBe("auth_failed");
    const check = h.provider.check();
    expect(check.ok).toBe(false);
    expect(check.detail).toContain("auth_failed");
    expect(check.detail).toContain("402");
  });

  test("406 connection limit: the next attempt waits at least the limit wait, once, then the stream flows", async () => {
    const h = harness({ timings: { limitWaitMs: 400 } });
    h.fake.behaviour = "connection_limit";
    h.start();
    const waiting = await until(() => {
      const connection = h.view().connections[0];
      // When the backoff began, from the same snapshot: the wait it planned, however late we look.
      const since = Date.now() - (connection?.stateSinceMs ?? 0);
      return connection?.state === "backoff" ? { ...connection, since } : undefined;
    }, "no backoff after 406");
    expect(waiting.lastError?.code).toBe("connection_limit");
    const plannedDelay = Date.parse(waiting.nextAttemptAt ?? "") - waiting.since;
    expect(plannedDelay).toBeGreaterThanOrEqual(400 - 2);
    expect(h.fake.connections).toBe(1);
    expect(h.provider.check().detail).toContain("connection_limit");
    h.fake.behaviour = "normal";
    await until(() => h.view().state === "streaming", "the stream did not come back");
    expect(h.fake.connections).toBe(2);
    h.fake.trades("AAPL", 3);
    await until(() => h.tradeIds("AAPL").length === 3, "trades after the wait did not arrive");
  });

  test("an HTTP 429 on the handshake is a rate limit: the long wait applies too", async () => {
    let attempts = 0;
    const refusing = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => {
        attempts += 1;
        return new Response("slow down", { status: 429 });
      },
    });
    cleanups.push(() => refusing.stop(true));
    const h = harness({
      streamUrl: `ws://127.0.0.1:${refusing.port}`,
      timings: { limitWaitMs: 5_000 },
    });
    h.start();
    const waiting = await until(() => {
      const connection = h.view().connections[0];
      return connection?.state === "backoff" ? connection : undefined;
    }, "no backoff after 429");
    expect(waiting.lastError?.code).toBe("rate_limited");
    expect(Date.parse(waiting.nextAttemptAt ?? "") - Date.now()).toBeGreaterThan(4_000);
    expect(attempts).toBe(1);
  });

  test("a server that goes silent while the market is open is stale: reconnected, resubscribed, and data flows again", async () => {
    const h = harness({ timings: { staleAfterMs: 300 } });
    h.start();
    await until(() => h.fake.subscribedClients === 1, "no subscription");
    h.fake.trades("AAPL", 2);
    await until(() => h.tradeIds("AAPL").length === 2, "first trades did not arrive");
    h.fake.behaviour = "silent";
    h.fake.trades("AAPL", 3); // the silent server keeps them to itself
    await until(() => h.view().reconnects >= 1, "the silent stream was not detected");
    expect(h.view().connections[0]?.lastError?.code).toBe("stale");
    h.fake.behaviour = "normal";
    await until(
      () => h.fake.connections >= 2 && h.view().state === "streaming",
      "no resubscription",
    );
    const subscribes = h.fake.received.filter(
      (m) => (m as { action?: string }).action === "subscribe",
    );
    expect(subscribes.length).toBeGreaterThanOrEqual(2);
    h.fake.trades("AAPL", 2);
    // The 3 trades the silent server withheld come back through gap recovery.
    await until(() => h.tradeIds("AAPL").length === 7, "not every trade arrived after the stall");
    expect(h.tradeIds("AAPL")).toEqual(h.fake.tradeIds("AAPL"));
  });

  test("a connection dropped mid-stream: reconnect, resubscribe, and the missed trades and quotes arrive from paged history exactly once", async () => {
    const h = harness({ maxPage: 7 });
    h.start();
    await until(() => h.fake.subscribedClients === 1, "no subscription");
    h.fake.trades("AAPL", 30);
    h.fake.trades("MSFT", 10);
    h.fake.quotes("AAPL", 5);
    await until(() => h.buffer.size === 45, "first part did not arrive");
    h.fake.dropClients();
    h.fake.trades("AAPL", 25); // missed: nobody is connected
    h.fake.trades("MSFT", 15);
    h.fake.quotes("MSFT", 6);
    await until(() => h.fake.subscribedClients === 1, "no resubscription");
    h.fake.trades("AAPL", 10);
    h.fake.quotes("AAPL", 4);
    await until(
      () => h.view().recovery.recovered >= 46 && h.view().recovery.pending === 0,
      "gap not recovered",
    );
    expect(h.tradeIds("AAPL")).toEqual(h.fake.tradeIds("AAPL"));
    expect(h.tradeIds("MSFT")).toEqual(h.fake.tradeIds("MSFT"));
    const identities = h.buffered().map((t) => tickIdentity(t));
    expect(new Set(identities).size).toBe(identities.length);
    const quotes = (symbol: string) =>
      h.buffered().filter((t) => t.kind === "QUOTE" && t.symbol === symbol).length;
    expect(quotes("AAPL")).toBe(h.fake.quoteCount("AAPL"));
    expect(quotes("MSFT")).toBe(h.fake.quoteCount("MSFT"));
    expect(h.fake.historyRequests.length).toBeGreaterThan(2); // paged by 7
    expect(h.fake.historyRequests.some((url) => url.searchParams.has("page_token"))).toBe(true);
    expect(h.view()).toMatchObject({ reconnects: 1, recovery: { gaps: 1, failed: 0 } });
    // The overlap's copies were refused as duplicates, never stored twice.
    expect(h.stats.counter("records.rejected.duplicate").value).toBeGreaterThan(0);
  });

  test("gaps are reckoned in the feed's event time: a delayed feed (events 5 minutes old) still recovers what a drop missed", async () => {
    const h = harness();
    const delayed = () => Date.now() - 5 * 60_000;
    h.start();
    await until(() => h.fake.subscribedClients === 1, "no subscription");
    h.fake.trades("AAPL", 10, delayed());
    await until(() => h.tradeIds("AAPL").length === 10, "first trades did not arrive");
    h.fake.dropClients();
    h.fake.trades("AAPL", 10, delayed() + 50);
    await until(() => h.fake.subscribedClients === 1, "no resubscription");
    h.fake.trades("AAPL", 10, delayed() + 100);
    await until(
      () => h.tradeIds("AAPL").length === 30 && h.view().recovery.pending === 0,
      "the delayed gap was not recovered",
    );
    expect(h.tradeIds("AAPL")).toEqual(h.fake.tradeIds("AAPL"));
    const asked = h.fake.historyRequests.at(-1);
    expect(Date.parse(asked?.searchParams.get("end") ?? "")).toBeLessThan(Date.now() - 4 * 60_000);
  });

  test("a slow producer: the buffer never exceeds its capacity, drops are counted as buffer_full, and the dropped ticks come back from history once there is room", async () => {
    const received: { sequence: number; symbol: string; eventTime: string }[] = [];
    const producer = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        if (request.method === "GET") return Response.json({ ready: true });
        const body = (await request.json()) as {
          records: { value: { sequence: number; symbol: string; eventTime: string } }[];
        };
        await Bun.sleep(40);
        for (const record of body.records) received.push(record.value);
        return Response.json({ offsets: [] });
      },
    });
    cleanups.push(() => producer.stop(true));
    const h = harness({ capacity: 150, symbols: ["AAPL"] });
    const forwarder = createForwarder({
      producerUrl: `http://127.0.0.1:${producer.port}`,
      buffer: h.buffer,
      log: h.captured.log,
      batchSize: 50,
      lingerMs: 5,
      requestTimeoutMs: 5_000,
      onForwarded: (n) => h.stats.counter("records.forwarded").add(n),
      onRejected: () => {},
    });
    h.onBuffered(forwarder.notify);
    forwarder.start();
    cleanups.push(() => forwarder.stop(2_000));
    let largest = 0;
    const watch = setInterval(() => {
      largest = Math.max(largest, h.buffer.size);
    }, 1);
    cleanups.push(() => clearInterval(watch));
    const heapBefore = process.memoryUsage().heapUsed;
    h.start();
    await until(() => h.fake.subscribedClients === 1, "no subscription");
    for (let i = 0; i < 40; i += 1) h.fake.trades("AAPL", 50); // 2,000 trades, far faster than the producer
    await until(
      () => h.stats.counter("records.droppedByReason.buffer_full").value > 0,
      "nothing was dropped",
    );
    await until(
      () => received.length === 2_000 && h.view().recovery.pending === 0,
      "the dropped trades did not come back",
      30_000,
    );
    const sequences = received.map((r) => r.sequence).sort((a, b) => a - b);
    expect(sequences).toEqual(h.fake.tradeIds("AAPL"));
    expect(largest).toBeLessThanOrEqual(150);
    const dropped = h.stats.counter("records.droppedByReason.buffer_full").value;
    expect(h.stats.counter("records.dropped").value).toBe(dropped);
    expect(h.view().ticks.dropped).toBe(dropped);
    console.log(
      `slow producer: 2000 streamed trades, ${dropped} dropped at a full buffer (capacity 150, largest ${largest}), all 2000 delivered once after recovery; heap ${Math.round((process.memoryUsage().heapUsed - heapBefore) / 1024)} KiB higher`,
    );
  }, 40_000);

  test("symbols beyond the per-connection limit open more connections, each subscribing its share", async () => {
    const h = harness({ symbols: ["AAPL", "MSFT", "NVDA", "AMZN", "GOOG"], perConnection: 2 });
    h.start();
    await until(() => h.fake.subscribedClients === 3, "not three subscriptions");
    const subscribed = h.fake.received
      .filter((m) => (m as { action?: string }).action === "subscribe")
      .map((m) => (m as { trades: string[] }).trades);
    expect(subscribed.map((list) => list.length).sort()).toEqual([1, 2, 2]);
    expect(subscribed.flat().sort()).toEqual(["AAPL", "AMZN", "GOOG", "MSFT", "NVDA"]);
    expect(h.view().connections.map((c) => c.symbols.length)).toEqual([2, 2, 1]);
  });

  test("with regular hours only and the market closed, nothing connects and the provider is ready, waiting for the open", async () => {
    const opensTomorrow: MarketClock = {
      session: () => ({
        open: new Date(Date.now() + 86_400_000),
        close: new Date(Date.now() + 90_000_000),
      }),
    };
    const h = harness({ regularHoursOnly: true, clock: opensTomorrow });
    h.start();
    await until(() => h.view().state === "market_closed", "not waiting for the open");
    expect(h.fake.connections).toBe(0);
    expect(h.provider.check()).toEqual({ ok: true });
  });
});
