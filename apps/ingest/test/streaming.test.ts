import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  consumerCaughtUp,
  describeServices,
  eventually,
  type RunningService,
  startService,
} from "@repo/testkit";
import type { ConsumerStats } from "../../consumer/src/stats.ts";
import { keyLabel } from "../src/providers/alpaca-stream.ts";
import type { IngestStats, StreamedProviderStats } from "../src/stats.ts";
import type { WebSocketStreamView } from "../src/stream/websocket-provider.ts";
import type { FakeAlpaca } from "../src/testing/fake-alpaca.ts";
import { fakeAlpacaEnv } from "../src/testing/fake-alpaca-env.ts";
import { pastSession } from "../src/testing/past-session.ts";
import {
  type AlpacaPipeline,
  runBackfill,
  startAlpacaPipeline,
  storedTradesAndQuotes,
} from "./harness.ts";

/**
 * The real stack end to end: a local server speaking Alpaca's stream and history protocols →
 * ingest (spawned as users run it) → the real producer → Kafka → the real consumer → Cassandra, on
 * topics, keyspace and group of their own.
 */

let run: AlpacaPipeline;
let services: RunningService[];
const dir = mkdtempSync(join(tmpdir(), "ingest-stream-"));
let fake: FakeAlpaca;
let producer: RunningService;
let consumer: RunningService;
let db: AlpacaPipeline["db"];

beforeAll(async () => {
  run = await startAlpacaPipeline("ingest_stream");
  ({ services, fake, producer, consumer, db } = run);
}, 240_000);

afterAll(async () => {
  await run?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const alpacaEnv = () => fakeAlpacaEnv(fake);

/** Ingest on the Alpaca stand-in (all hours, 50 ms linger) with `extra` on top, until it is ready. */
async function startAlpacaIngest(extra: Record<string, string>) {
  const ingest = await startService(
    "ingest",
    {
      ...alpacaEnv(),
      PRODUCER_URL: producer.url,
      INGEST_PROVIDERS: "alpaca",
      ALPACA_REGULAR_HOURS_ONLY: "false",
      INGEST_LINGER_MS: "50",
      ...extra,
    },
    { waitFor: "readyz" },
  );
  services.push(ingest);
  return ingest;
}

/** Every stored QUOTE of a symbol: its bid and ask sizes. */
async function storedQuoteSizes(symbol: string) {
  const sizes: [number, number][] = [];
  const rows = await db.execute("SELECT symbol, kind, bid_size, ask_size FROM ticks", [], {
    prepare: true,
    fetchSize: 2_000,
  });
  for await (const row of rows)
    if (row.get("symbol") === symbol && row.get("kind") === "QUOTE")
      sizes.push([Number(row.get("bid_size")), Number(row.get("ask_size"))]);
  return sizes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

const written = async () => (await consumer.json<ConsumerStats>("/stats")).records.written;

type AlpacaStats = IngestStats & {
  providers: { alpaca: StreamedProviderStats<WebSocketStreamView> };
};

const caughtUp = (atLeast: number) =>
  consumerCaughtUp(consumer, atLeast, {
    timeoutMs: 90_000,
    diagnose: () => describeServices(services),
  });

describe("streaming ingest on the real stack", () => {
  test("a stream dropped mid-session: the missed trades arrive through gap recovery and every trade id is stored exactly once in Cassandra", async () => {
    const ingest = await startAlpacaIngest({
      ALPACA_MODE: "stream",
      ALPACA_SYMBOLS: "AAPL,MSFT",
      INGEST_STREAM_RECONNECT_MIN_MS: "50",
      INGEST_STREAM_RECONNECT_MAX_MS: "500",
      INGEST_GAP_OVERLAP_MS: "500",
    });
    const ingestStats = () =>
      ingest.json<
        IngestStats & { providers: { alpaca: StreamedProviderStats<WebSocketStreamView> } }
      >("/stats");
    const wait = <T>(check: () => Promise<T | undefined>, message: string) =>
      eventually(check, {
        timeoutMs: 60_000,
        intervalMs: 100,
        message,
        diagnose: () => describeServices(services),
      });

    // Before the drop: 300 trades and 40 quotes streamed in frames.
    for (let frame = 0; frame < 10; frame += 1) {
      fake.trades("AAPL", 20);
      fake.trades("MSFT", 10);
      fake.quotes("AAPL", 4);
    }
    await wait(
      async () => ((await ingestStats()).records.forwarded === 340 ? true : undefined),
      "the streamed ticks were not forwarded",
    );

    const dropped = performance.now();
    fake.dropClients();
    // While nobody is connected: 250 trades and 30 quotes only the history will have.
    for (let frame = 0; frame < 5; frame += 1) {
      fake.trades("AAPL", 30);
      fake.trades("MSFT", 20);
      fake.quotes("MSFT", 6);
    }
    await wait(
      async () => (fake.subscribedClients === 1 ? true : undefined),
      "ingest did not resubscribe",
    );
    const resubscribedMs = performance.now() - dropped;
    // After the resubscription: 100 trades streamed again.
    for (let frame = 0; frame < 5; frame += 1) {
      fake.trades("AAPL", 10);
      fake.trades("MSFT", 10);
    }
    const total = 300 + 40 + 250 + 30 + 100;
    const settled = await wait(async () => {
      const stats = await ingestStats();
      const recovery = stats.providers.alpaca.recovery;
      return stats.records.forwarded === total &&
        stats.buffer.size === 0 &&
        recovery.pending === 0 &&
        recovery.gaps >= 1
        ? stats
        : undefined;
    }, "the gap was not recovered");
    const recoveredMs = performance.now() - dropped;
    expect(settled.providers.alpaca).toMatchObject({ mode: "stream", state: "streaming" });
    expect(settled.providers.alpaca.reconnects).toBe(1);
    expect(settled.providers.alpaca.recovery.recovered).toBeGreaterThanOrEqual(280);
    expect(settled.providers.alpaca.recovery.failed).toBe(0);
    expect(settled.records.dropped).toBe(0);
    // The overlap came twice and was refused by identity, never forwarded twice.
    expect(settled.records.rejected.duplicate).toBeGreaterThan(0);
    const otherRejections = Object.entries(settled.records.rejected).filter(
      ([reason, n]) => reason !== "duplicate" && n > 0,
    );
    expect(otherRejections).toEqual([]);
    const metrics = await (await fetch(`${ingest.url}/metrics`)).text();
    expect(metrics).toMatch(/marketpipe_ingest_stream_up\{provider="alpaca"\} 1/);
    expect(metrics).toMatch(/marketpipe_ingest_stream_reconnects\{provider="alpaca"\} 1/);

    await caughtUp(total);
    for (const symbol of ["AAPL", "MSFT"]) {
      const rows = await storedTradesAndQuotes(db, symbol);
      expect(rows.trades).toEqual(fake.tradeIds(symbol)); // each id once: no gap, no duplicate
      expect(rows.quotes).toBe(fake.quoteCount(symbol));
    }
    console.log(
      `stream drop: resubscribed ${Math.round(resubscribedMs)} ms after the drop, gap of 280 ticks recovered from history and all ${total} ticks forwarded ${Math.round(recoveredMs)} ms after it; ${settled.records.rejected.duplicate} overlap duplicates refused`,
    );
    expect(await ingest.stop("SIGTERM", 20_000)).toBe(0);
  }, 180_000);

  test("backfilling a past session twice stores every trade and quote once", async () => {
    const { session, next } = pastSession();
    const at = session.open.getTime() + 2 * 3_600_000;
    fake.trades("NVDA", 450, at);
    fake.quotes("NVDA", 120, at);
    const run = (...extra: string[]) =>
      runBackfill({
        provider: "alpaca",
        symbols: "NVDA",
        from: session.date,
        to: next,
        state: join(dir, "backfill.json"),
        env: { ...alpacaEnv(), PRODUCER_URL: producer.url, INGEST_LINGER_MS: "50" },
        extra,
      });
    const writtenBefore = (await consumer.json<ConsumerStats>("/stats")).records.written;
    const started = performance.now();
    await run();
    await caughtUp(writtenBefore + 570);
    const seconds = (performance.now() - started) / 1000;
    const first = await storedTradesAndQuotes(db, "NVDA");
    expect(first.trades).toEqual(fake.tradeIds("NVDA"));
    expect(first.quotes).toBe(120);

    await run("--restart");
    await caughtUp(writtenBefore + 2 * 570);
    const second = await storedTradesAndQuotes(db, "NVDA");
    expect(second.trades).toEqual(fake.tradeIds("NVDA"));
    expect(second.quotes).toBe(120);
    console.log(
      `backfill: 570 historical ticks loaded and stored in ${seconds.toFixed(1)} s; a second full run wrote the same 570 rows again (Kafka carried them twice, Cassandra holds them once)`,
    );
  }, 180_000);

  test("40 symbols on a 30-symbol plan: one connection streams 30, the other 10 are polled over REST and named; all 40 are stored, quote sizes in shares", async () => {
    const symbols = Array.from({ length: 40 }, (_, n) => `P${String(n).padStart(2, "0")}`);
    const before = await written();
    const ingest = await startAlpacaIngest({
      ALPACA_SYMBOLS: symbols.join(","),
      ALPACA_OVERFLOW_POLL_MS: "200",
    });
    expect(fake.subscriptions()).toEqual([symbols.slice(0, 30)]);
    const streamed = symbols.slice(0, 30);
    const polled = symbols.slice(30);
    const emitted = performance.now();
    for (const symbol of streamed) {
      fake.trades(symbol, 3);
      fake.quotes(symbol, 1);
    }
    // Polling sees only the latest trade and quote: one of each per polled symbol.
    for (const symbol of polled) {
      fake.trades(symbol, 1);
      fake.quotes(symbol, 1);
    }
    await caughtUp(before + 30 * 4 + 10 * 2);
    const storedMs = performance.now() - emitted;
    for (const symbol of symbols) {
      const rows = await storedTradesAndQuotes(db, symbol);
      expect({ symbol, trades: rows.trades }).toEqual({ symbol, trades: fake.tradeIds(symbol) });
      expect({ symbol, quotes: rows.quotes }).toEqual({ symbol, quotes: 1 });
    }
    for (const symbol of [streamed[0] as string, polled[0] as string]) {
      const lots = fake.quoteRecords(symbol).map((q) => [q.bs * 100, q.as * 100]);
      expect(await storedQuoteSizes(symbol)).toEqual(lots as [number, number][]);
    }
    const stats = await ingest.json<AlpacaStats>("/stats");
    expect(stats.providers.alpaca).toMatchObject({
      state: "streaming",
      planSymbolLimit: 30,
      streamedSymbols: 30,
      overflow: { symbols: polled, state: "polling" },
    });
    const ready = (await (await fetch(`${ingest.url}/readyz`)).json()) as {
      checks: Record<string, { ok: boolean; detail?: string }>;
    };
    expect(ready.checks["stream.alpaca"]).toEqual({
      ok: true,
      detail: `10 symbols beyond ALPACA_PLAN_SYMBOL_LIMIT (30) polled over REST: ${polled.join(",")}`,
    });
    expect(ingest.output()).toContain("polled over REST");
    console.log(
      `plan limit: 40 symbols on a 30-symbol plan, 140 ticks (120 streamed: 90 trades + 30 quotes; 20 polled every 200 ms: 10 trades + 10 quotes) stored in Cassandra ${Math.round(storedMs)} ms after they were emitted`,
    );
    expect(fake.connections).toBeGreaterThan(0);
    expect(await ingest.stop("SIGTERM", 20_000)).toBe(0);
  }, 180_000);

  test("a second ingest on the same key does not take the first one's connection: it is refused (406), says which key holds the limit, and the first keeps storing", async () => {
    const env = {
      ...alpacaEnv(),
      PRODUCER_URL: producer.url,
      INGEST_PROVIDERS: "alpaca",
      ALPACA_SYMBOLS: "KO,PEP",
      ALPACA_REGULAR_HOURS_ONLY: "false",
      INGEST_LINGER_MS: "50",
      INGEST_STREAM_LIMIT_RETRY_MS: "100",
    };
    const first = await startService("ingest", env, { waitFor: "readyz" });
    services.push(first);
    const refusedBefore = fake.refusals.length;
    const secondStarted = performance.now();
    const second = await startService("ingest", env, { waitFor: "healthz" });
    services.push(second);
    const refusal = await eventually(
      async () => {
        const response = await fetch(`${second.url}/readyz`);
        const body = (await response.json()) as {
          checks: Record<string, { ok: boolean; detail?: string }>;
        };
        const detail = body.checks["stream.alpaca"]?.detail ?? "";
        return response.status === 503 && detail.includes("connection_limit") ? detail : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: "the second ingest did not report the 406" },
    );
    const reportedMs = performance.now() - secondStarted;
    expect(refusal).toContain(`key ${keyLabel(fake.keyId)}`);
    expect(refusal).not.toContain(fake.secretKey);
    await eventually(
      async () =>
        second.output().includes("another session holds this key's connection") ? true : undefined,
      { timeoutMs: 30_000, intervalMs: 100, message: "no long-wait error in the second's log" },
    );
    const longWaitMs = performance.now() - secondStarted;
    expect(fake.refusals.slice(refusedBefore).every((r) => r.code === 406)).toBe(true);
    console.log(
      `second ingest on the same key: 406 shown in its /readyz ${Math.round(reportedMs)} ms after it was spawned, long wait (after ${fake.refusals.length - refusedBefore} refusals) ${Math.round(longWaitMs)} ms after; the first kept its connection`,
    );
    const before = await written();
    fake.trades("KO", 5);
    fake.trades("PEP", 5);
    await caughtUp(before + 10);
    expect((await storedTradesAndQuotes(db, "KO")).trades).toEqual(fake.tradeIds("KO"));
    expect((await storedTradesAndQuotes(db, "PEP")).trades).toEqual(fake.tradeIds("PEP"));
    const firstStats = await first.json<AlpacaStats>("/stats");
    expect(firstStats.providers.alpaca).toMatchObject({ state: "streaming", reconnects: 0 });
    expect(firstStats.records.forwarded).toBe(10);
    expect((await second.json<AlpacaStats>("/stats")).records.forwarded).toBe(0);
    expect(await second.stop("SIGTERM", 20_000)).toBe(0);
    expect(await first.stop("SIGTERM", 20_000)).toBe(0);
  }, 180_000);

  test("ALPACA_FEED=delayed_sip stores its ticks: events 16 minutes old pass the staleness gate that allows the feed's 15-minute delay", async () => {
    const before = await written();
    const ingest = await startAlpacaIngest({ ALPACA_FEED: "delayed_sip", ALPACA_SYMBOLS: "DLY" });
    const delayed = Date.now() - 16 * 60_000;
    fake.trades("DLY", 20, delayed);
    fake.quotes("DLY", 5, delayed);
    await caughtUp(before + 25);
    const rows = await storedTradesAndQuotes(db, "DLY");
    expect(rows.trades).toEqual(fake.tradeIds("DLY"));
    expect(rows.quotes).toBe(5);
    const stats = await ingest.json<AlpacaStats>("/stats");
    expect(stats.records.rejected.stale_timestamp).toBe(0);
    expect(await ingest.stop("SIGTERM", 20_000)).toBe(0);
  }, 180_000);
});
