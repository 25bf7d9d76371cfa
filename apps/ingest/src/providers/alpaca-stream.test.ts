import { describe, expect, test } from "bun:test";
import { type Tick, tickIdentity } from "@repo/contracts";
import { cleanupsAfterEach, until } from "@repo/testkit";
import { createForwarder } from "../forward/forwarder.ts";
import { alwaysOpen, type ConnectionTimings, type MarketClock } from "../stream/connection.ts";
import { createWebSocketProvider } from "../stream/websocket-provider.ts";
import { type FakeAlpaca, startFakeAlpaca } from "../testing/fake-alpaca.ts";
import { fastTimings, ingestHarness } from "../testing/ingest.ts";
import { createAlpacaProvider } from "./alpaca.ts";
import { createAlpacaHistory } from "./alpaca-history.ts";
import { alpacaProtocol, keyLabel } from "./alpaca-stream.ts";
import { createHttpSource } from "./http-source.ts";
import { offerPaced, type StreamProvider } from "./provider.ts";
import { createRateBudget } from "./rate-budget.ts";

const cleanups = cleanupsAfterEach();

interface HarnessOptions {
  symbols?: string[];
  timings?: Partial<ConnectionTimings>;
  capacity?: number;
  maxPage?: number;
  planSymbolLimit?: number;
  feed?: string;
  secretKey?: string;
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
  const planSymbolLimit = options.planSymbolLimit ?? 30;
  const snapshots = createAlpacaProvider({
    baseUrl: fake.dataUrl,
    keyId: fake.keyId,
    secretKey: fake.secretKey,
    feed: "iex",
    symbols: symbols.slice(planSymbolLimit),
    log: captured.log,
    ratePerSecond: 1_000,
    timeoutMs: 2_000,
    retries: 2,
    breakerThreshold: 10,
    breakerResetMs: 60_000,
  });
  cleanups.push(() => snapshots.close?.());
  const provider = createWebSocketProvider({
    name: "alpaca",
    symbols,
    planSymbolLimit,
    planLimitVariable: "ALPACA_PLAN_SYMBOL_LIMIT",
    protocol: (streamed) =>
      alpacaProtocol({
        streamUrl: options.streamUrl ?? fake.streamUrl,
        feed: options.feed ?? "iex",
        keyId: fake.keyId,
        secretKey: options.secretKey ?? fake.secretKey,
        symbols: streamed,
        planLimitVariable: "ALPACA_PLAN_SYMBOL_LIMIT",
      }),
    history,
    overflow: { poll: (_symbols, signal) => snapshots.poll(signal), intervalMs: 20 },
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
  overflow: { symbols: string[]; state: string; polls: number; delivered: number } | null;
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
    // A correction of a trade this stream never saw cannot be given an identity: counted, not guessed.
    h.fake.send([
      { T: "c", S: "AAPL", x: "V", oi: 999_999, op: 100, os: 1, ci: 99, cp: 100.1, cs: 1 },
    ]);
    await until(() => h.buffer.size === 33, "not every trade and quote arrived");
    expect(h.stats.counter("records.skipped.unresolved_correction").value).toBe(1);
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
    // Sizes arrive in round lots and are stored in shares.
    const lots = h.fake.quoteRecords("AAPL").map((q) => [q.bs * 100, q.as * 100]);
    const sizes = h
      .buffered()
      .filter((t) => t.kind === "QUOTE")
      .map((t) => [t.bidSize, t.askSize]);
    expect(sizes).toEqual(lots);

    const stats = h.view();
    expect(stats).toMatchObject({ state: "streaming", reconnects: 0 });
    expect(stats.ticks).toEqual({ accepted: 33, rejected: 0, dropped: 0 });
    expect(stats.messages).toBeGreaterThanOrEqual(7);
    expect(stats.lastMessageAgeMs).not.toBeNull();
    expect(stats.connections[0]?.ignored).toEqual({});
    expect(h.provider.check()).toEqual({ ok: true });
    expect(h.captured.text()).not.toContain("fake-secret");
  });

  test("auth failure (402) stops the connection for good: one attempt, not ready, the reason named", async () => {
    const fake = startFakeAlpaca();
    const control = harness({ fake });
    control.start();
    await until(() => control.view().state === "streaming", "the control did not stream");
    const h = harness({ fake, secretKey: "wrong-secret" });
    h.start();
    await until(() => h.view().state === "failed", "the stream did not give up");
    // A connection that reconnects is back within its backoff: once the control has been dropped and
    // has come back, a retrying client would have tried again too.
    fake.dropClients();
    await until(
      () => control.view().reconnects >= 1 && control.view().state === "streaming",
      "the control did not come back",
    );
    const attempts = fake.received.filter(
      (m) => (m as { secret?: string }).secret === "wrong-secret",
    );
    expect(attempts.length).toBe(1);
    expect(h.view().connections[0]?.lastError?.code).toBe("auth_failed");
    const check = h.provider.check();
    expect(check.ok).toBe(false);
    expect(check.detail).toContain("auth_failed");
    expect(check.detail).toContain("402");
    expect(`${check.detail} ${h.captured.text()}`).not.toContain("wrong-secret");
  });

  test("a second connection on the same key gets 406: it retries soon a few times, then waits long, names the key (never the secret), and the first connection keeps streaming", async () => {
    const fake = startFakeAlpaca();
    const first = harness({ fake });
    first.start();
    await until(() => first.view().state === "streaming", "the first connection did not stream");
    const second = harness({ fake, timings: { limitRetryMs: 20, limitWaitMs: 60_000 } });
    second.start();
    const waiting = await until(() => {
      const connection = second.view().connections[0];
      return connection?.state === "backoff" &&
        Date.parse(connection.nextAttemptAt ?? "") - Date.now() > 30_000
        ? connection
        : undefined;
    }, "the second connection did not settle into the long wait");
    // 1 refusal + 3 short retries, all refused: the old session did not go away.
    expect(fake.refusals.filter((r) => r.code === 406).length).toBe(4);
    expect(waiting.lastError?.code).toBe("connection_limit");
    expect(waiting.lastError?.message).toContain(keyLabel(fake.keyId));
    const check = second.provider.check();
    expect(check.ok).toBe(false);
    expect(check.detail).toContain("connection_limit");
    expect(check.detail).toContain(keyLabel(fake.keyId));
    const shown = `${check.detail} ${JSON.stringify(second.view())} ${second.captured.text()}`;
    expect(shown).not.toContain(fake.secretKey);
    expect(second.captured.text()).toContain("another session holds this key's connection");
    // The first connection was never displaced.
    expect(first.view()).toMatchObject({ state: "streaming", reconnects: 0 });
    fake.trades("AAPL", 3);
    await until(() => first.tradeIds("AAPL").length === 3, "the first connection lost its data");
    expect(second.tradeIds("AAPL")).toEqual([]);
  });

  test("a 406 from our own previous session still closing is over within the short retries: the stream flows without a long wait", async () => {
    const h = harness({
      timings: { limitRetryMs: 20, limitShortRetries: 50, limitWaitMs: 60_000 },
    });
    h.fake.behaviour = "connection_limit";
    h.start();
    await until(() => h.fake.refusals.length >= 2, "no 406 refusals");
    h.fake.behaviour = "normal";
    await until(() => h.view().state === "streaming", "the stream did not come back");
    expect(h.view().connections[0]?.lastError).toBeNull();
    h.fake.trades("AAPL", 3);
    await until(() => h.tradeIds("AAPL").length === 3, "trades after the retries did not arrive");
  });

  test("a subscription over the plan's symbol limit (405) is final and names the variable to set", async () => {
    const fake = startFakeAlpaca({ symbolLimit: 2 });
    const h = harness({ fake, symbols: ["AAPL", "MSFT", "NVDA"], planSymbolLimit: 3 });
    h.start();
    await until(() => h.view().state === "failed", "the stream did not give up");
    expect(fake.refusals).toEqual([{ code: 405, msg: "symbol limit exceeded" }]);
    const check = h.provider.check();
    expect(check.detail).toContain("symbol_limit");
    expect(check.detail).toContain("ALPACA_PLAN_SYMBOL_LIMIT");
  });

  test("411 (insufficient scope) is final: the stream stops with the reason instead of reconnecting", async () => {
    const h = harness();
    h.fake.behaviour = "insufficient_scope";
    h.start();
    await until(() => h.view().state === "failed", "the stream did not give up");
    expect(h.view().connections[0]?.lastError?.code).toBe("insufficient_subscription");
    expect(h.provider.check().detail).toContain("411");
    expect(h.view().reconnects).toBe(0);
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

  test("symbols beyond the plan's limit are polled over REST: one connection streams the first ones, the rest arrive from snapshots and are named in /stats and /readyz", async () => {
    const symbols = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOG"];
    const h = harness({ symbols, planSymbolLimit: 3 });
    h.start();
    await until(() => h.fake.subscribedClients === 1, "no subscription");
    expect(h.fake.subscriptions()).toEqual([["AAPL", "MSFT", "NVDA"]]);
    expect(h.fake.connections).toBe(1);
    h.fake.trades("AAPL", 2);
    h.fake.trades("GOOG", 1);
    h.fake.quotes("AMZN", 1);
    await until(
      () => h.tradeIds("AAPL").length === 2 && h.tradeIds("GOOG").length === 1,
      "streamed or polled trades did not arrive",
    );
    await until(
      () => h.buffered().some((t) => t.symbol === "AMZN" && t.kind === "QUOTE"),
      "the polled quote did not arrive",
    );
    expect(h.fake.snapshotRequests[0]?.searchParams.get("symbols")).toBe("AMZN,GOOG");
    // A later poll that finds the same latest trade does not offer it again.
    const polls = h.view().overflow?.polls ?? 0;
    await until(() => (h.view().overflow?.polls ?? 0) > polls + 2, "polling stopped");
    expect(h.tradeIds("GOOG")).toEqual(h.fake.tradeIds("GOOG"));
    expect(h.stats.counter("records.rejected.duplicate").value).toBe(0);
    expect(h.view().overflow).toMatchObject({ symbols: ["AMZN", "GOOG"], state: "polling" });
    const check = h.provider.check();
    expect(check.ok).toBe(true);
    expect(check.detail).toContain("ALPACA_PLAN_SYMBOL_LIMIT (3) polled over REST: AMZN,GOOG");
    expect(h.captured.text()).toContain("AMZN");
  });

  test("a one-sided quote (ap 0, as 0) is accepted with the ask null, priced at the bid, and counted; not refused as a non-positive price", async () => {
    const h = harness();
    h.start();
    await until(() => h.fake.subscribedClients === 1, "no subscription");
    h.fake.oneSidedQuote("AAPL");
    h.fake.quotes("AAPL", 1);
    await until(() => h.buffer.size === 2, "the quotes did not arrive");
    const [oneSided] = h.buffered().filter((t) => t.ask === null);
    expect(oneSided).toMatchObject({ kind: "QUOTE", ask: null, askSize: null, bidSize: 300 });
    expect(oneSided?.price).toBe(oneSided?.bid as string);
    expect(h.stats.counter("records.oneSidedQuotes").value).toBe(1);
    expect(h.stats.counter("records.rejected.non_positive_price").value).toBe(0);
  });

  test("stream cancels (T x) and corrections (T c) become cancels of the original trade's identity and the corrected trade at its event time; a replayed cancel is a duplicate; a cancel after a reconnect still resolves", async () => {
    const h = harness();
    h.start();
    await until(() => h.fake.subscribedClients === 1, "no subscription");
    const [a, b, c] = h.fake.trades("AAPL", 3, Date.now() - 2_000);
    await until(() => h.tradeIds("AAPL").length === 3, "trades did not arrive");
    h.fake.bust("AAPL", a as number, "canceled");
    const replacement = h.fake.bust("AAPL", b as number, "corrected", 101.25);
    await until(() => h.buffer.size === 6, "the cancel and the correction did not arrive");
    const ticks = h.buffered();
    const original = (id: number) => ticks.find((t) => t.sequence === id && !t.cancelled);
    const cancels = ticks.filter((t) => t.cancelled);
    expect(cancels.map((t) => tickIdentity(t)).sort()).toEqual(
      [a, b].map((id) => tickIdentity(original(id as number) as Tick)).sort(),
    );
    const values = (t: Tick | undefined) => `${t?.price}|${t?.size}`;
    expect(cancels.map(values).sort()).toEqual(
      [a, b].map((id) => values(original(id as number))).sort(),
    );
    const corrected = ticks.find((t) => t.sequence === replacement);
    expect(corrected).toMatchObject({
      cancelled: false,
      price: "101.25",
      eventTime: original(b as number)?.eventTime,
    });
    // The stream's view equals history's: the same identities, cancelled the same way.
    const fromHistory: Tick[] = [];
    for await (const page of h.history.pages({
      symbols: ["AAPL"],
      fromMs: Date.now() - 60_000,
      toMs: Date.now(),
    }))
      fromHistory.push(...(page.ticks as Tick[]).filter((t) => t.kind === "TRADE"));
    const state = (list: Tick[]) =>
      [...new Map(list.map((t) => [tickIdentity(t), t.cancelled])).entries()].sort();
    const streamedState = new Map<string, boolean>();
    for (const t of ticks.filter((t) => t.kind === "TRADE"))
      streamedState.set(
        tickIdentity(t),
        (streamedState.get(tickIdentity(t)) ?? false) || t.cancelled,
      );
    expect([...streamedState.entries()].sort()).toEqual(state(fromHistory));
    expect(h.stats.counter("records.cancels").value).toBe(2);
    // Replayed: the gates drop the second copy of a cancel.
    h.fake.send([
      { T: "x", S: "AAPL", i: a, x: "V", p: 1, s: 1, a: "C", t: new Date().toISOString() },
    ]);
    await until(() => h.stats.counter("records.rejected.duplicate").value === 1, "no duplicate");
    // After a reconnect the index still knows trade c.
    h.fake.dropClients();
    await until(() => h.fake.subscribedClients === 1, "no resubscription");
    h.fake.bust("AAPL", c as number, "canceled");
    await until(
      () => h.stats.counter("records.cancels").value === 3,
      "the cancel after a reconnect was not applied",
    );
  });

  test("Alpaca's test stream (ALPACA_FEED=test) is opened at /v2/test", async () => {
    const h = harness({ symbols: ["FAKEPACA"], feed: "test" });
    h.start();
    await until(() => h.fake.subscribedClients === 1, "no subscription");
    h.fake.trades("FAKEPACA", 2);
    await until(() => h.tradeIds("FAKEPACA").length === 2, "FAKEPACA trades did not arrive");
    const test = alpacaProtocol({
      streamUrl: h.fake.streamUrl,
      feed: "test",
      keyId: "k",
      secretKey: "s",
      symbols: [],
    });
    expect(test.displayUrl).toBe(`${h.fake.streamUrl}/v2/test`);
  });

  test("a 429 with X-RateLimit-Reset (no Retry-After) waits until the reset, and every Alpaca caller sharing the budget waits with it", async () => {
    const fake = startFakeAlpaca({ maxPage: 10, rateLimit: { requests: 3, windowMs: 1_000 } });
    cleanups.push(() => fake.stop());
    const start = Date.now() - 10_000;
    fake.trades("AAPL", 30, start);
    const budget = createRateBudget({ perMinute: 60_000 });
    const source = (name: string) => {
      const http = createHttpSource({
        name,
        log: ingestHarness().log,
        budget,
        ratePerSecond: 1_000,
        timeoutMs: 2_000,
        retries: 2,
        minRetryDelayMs: 5,
        maxRetryDelayMs: 20,
        breakerThreshold: 10,
        breakerResetMs: 60_000,
      });
      cleanups.push(() => http.close());
      return createAlpacaHistory({ ...fake, feed: "iex", http, kinds: ["trades"] });
    };
    const recovery = source("alpaca-history");
    const backfill = source("alpaca-backfill");
    // Another process on the same account (a backfill) spends the window's budget.
    const keys = { "APCA-API-KEY-ID": fake.keyId, "APCA-API-SECRET-KEY": fake.secretKey };
    for (let n = 0; n < 3; n += 1)
      await (
        await fetch(`${fake.dataUrl}/v2/stocks/snapshots?symbols=AAPL`, { headers: keys })
      ).text();
    const fetched: number[] = [];
    for await (const page of recovery.pages({ symbols: ["AAPL"], fromMs: start, toMs: Date.now() }))
      fetched.push(page.ticks.length);
    const recoveredAt = Date.now();
    // Our first request met a 429 (no Retry-After) and waited for X-RateLimit-Reset; 2 retries
    // 5–20 ms apart would have been spent long before it.
    expect(fetched.reduce((a, b) => a + b, 0)).toBe(30);
    expect(fake.throttled).toBe(1);
    expect(recoveredAt).toBeGreaterThanOrEqual((fake.throttleResets[0] ?? 0) * 1000);
    // The second caller finds the budget spent by the first (Remaining 0) and waits for the reset
    // instead of collecting its own 429.
    const pages = [];
    for await (const page of backfill.pages({ symbols: ["AAPL"], fromMs: start, toMs: Date.now() }))
      pages.push(page.ticks.length);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(30);
    expect(fake.throttled).toBe(1);
  }, 15_000);

  test("SIP history on the Basic plan ends at least 15 minutes ago: a request for the last 20 minutes is clamped instead of refused (403)", async () => {
    const fake = startFakeAlpaca({ recentSipLimitMs: 15 * 60_000 });
    cleanups.push(() => fake.stop());
    fake.trades("AAPL", 5, Date.now() - 18 * 60_000);
    fake.trades("AAPL", 5, Date.now() - 60_000);
    const http = createHttpSource({
      name: "alpaca-history",
      log: ingestHarness().log,
      ratePerSecond: 1_000,
      timeoutMs: 2_000,
      retries: 0,
      breakerThreshold: 10,
      breakerResetMs: 60_000,
    });
    cleanups.push(() => http.close());
    const history = createAlpacaHistory({
      ...fake,
      feed: "delayed_sip",
      http,
      kinds: ["trades"],
      recentLimitMs: 15 * 60_000,
    });
    expect(history.delayMs).toBe(15 * 60_000);
    const ticks: unknown[] = [];
    for await (const page of history.pages({
      symbols: ["AAPL"],
      fromMs: Date.now() - 20 * 60_000,
      toMs: Date.now(),
    }))
      ticks.push(...page.ticks);
    expect(ticks.length).toBe(5); // the older five; the recent ones wait until they are 15 minutes old
    const asked = fake.historyRequests.at(-1);
    expect(asked?.searchParams.get("feed")).toBe("sip");
    expect(Date.parse(asked?.searchParams.get("end") ?? "")).toBeLessThanOrEqual(
      Date.now() - 15 * 60_000,
    );
  });

  test("history marks busted trades with u: the canceled and the incorrect original become cancels of their identity, the corrected replacement a trade", async () => {
    const h = harness();
    const [first, second, third] = h.fake.trades("AAPL", 3, Date.now() - 5_000);
    h.fake.bust("AAPL", first as number, "canceled");
    const replacement = h.fake.bust("AAPL", second as number, "corrected");
    for await (const page of h.history.pages({
      symbols: ["AAPL"],
      fromMs: Date.now() - 60_000,
      toMs: Date.now(),
    }))
      await offerPaced(h.ingest.sinkFor("alpaca"), page, { history: true });
    const state = h
      .buffered()
      .map((t) => [t.sequence, t.cancelled])
      .sort((x, y) => (x[0] as number) - (y[0] as number));
    expect(state).toEqual([
      [first as number, true],
      [second as number, true],
      [third as number, false],
      [replacement as number, false],
    ]);
    expect(h.stats.counter("records.cancels").value).toBe(2);
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
