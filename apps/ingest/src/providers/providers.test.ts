import { afterAll, describe, expect, test } from "bun:test";
import type { Tick } from "@repo/contracts";
import { captureLog } from "../testing/capture-log.ts";
import { ingestHarness } from "../testing/ingest.ts";
import { createAlpacaProvider, parseAlpacaSnapshots } from "./alpaca.ts";
import alpacaSnapshots from "./fixtures/alpaca-snapshots.json";
import tiingoIex from "./fixtures/tiingo-iex.json";
import { retryAfterMs } from "./http-source.ts";
import { createTiingoProvider, parseTiingoTops, TIINGO_SEQUENCE } from "./tiingo.ts";

type Handler = (request: Request) => Response | Promise<Response>;
let handler: Handler = () => new Response("not set", { status: 500 });
const requests: { url: URL; headers: Headers }[] = [];
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    requests.push({ url: new URL(request.url), headers: request.headers });
    return handler(request);
  },
});
afterAll(() => server.stop(true));
const baseUrl = `http://127.0.0.1:${server.port}`;
const INGEST = 1_767_625_200_500_000;
const json = (body: unknown, status = 200) => Response.json(body, { status });

function alpaca(overrides: Partial<Parameters<typeof createAlpacaProvider>[0]> = {}) {
  const captured = captureLog();
  const provider = createAlpacaProvider({
    baseUrl,
    keyId: "AKTESTKEYID",
    secretKey: "sekret-do-not-log",
    symbols: ["AAPL", "MSFT"],
    feed: "iex",
    log: captured.log,
    ratePerSecond: 1_000,
    timeoutMs: 1_000,
    retries: 2,
    minRetryDelayMs: 5,
    maxRetryDelayMs: 20,
    breakerThreshold: 3,
    breakerResetMs: 60_000,
    nowMicros: () => INGEST,
    ...overrides,
  });
  return { provider, captured };
}

/** A Tiingo provider on the local server, no retries. */
const tiingo = (symbols: string[]) =>
  createTiingoProvider({
    baseUrl,
    token: "tiingo-token",
    symbols,
    log: captureLog().log,
    ratePerSecond: 1_000,
    timeoutMs: 1_000,
    retries: 0,
    breakerThreshold: 3,
    breakerResetMs: 60_000,
  });

/** The ingest pipeline around one provider, with gates loose enough for recorded data. */
function pipeline() {
  return ingestHarness({
    capacity: 1_000,
    gates: { maxStalenessMs: 10 * 365 * 86_400_000, maxPriceJump: 0.5, dedupeWindow: 1_000 },
  });
}

describe("alpaca snapshots", () => {
  test("a recorded multi-snapshot becomes a trade and a quote per symbol, exact to the microsecond", () => {
    const { ticks, malformed } = parseAlpacaSnapshots(alpacaSnapshots, INGEST);
    expect(malformed).toEqual([]);
    expect(ticks[0]).toEqual({
      source: "alpaca",
      symbol: "AAPL",
      kind: "TRADE",
      eventTime: 1_767_625_200_123_456,
      sequence: 52_983_525_029_461,
      price: "187.245",
      size: 100,
      bid: null,
      ask: null,
      bidSize: null,
      askSize: null,
      exchange: "V",
      ingestTime: INGEST,
      cancelled: false,
    });
    expect(ticks[1]).toMatchObject({
      kind: "QUOTE",
      price: "187.245",
      bid: "187.23",
      ask: "187.26",
      bidSize: 300, // 3 round lots
      askSize: 200,
    });
    expect(ticks.map((t) => (t as { symbol: string }).symbol)).toEqual([
      "AAPL",
      "AAPL",
      "MSFT",
      "MSFT",
    ]);
  });

  test("the poll sends the keys as headers, asks for the symbols and never logs the secret", async () => {
    handler = () => json(alpacaSnapshots);
    requests.length = 0;
    const { provider, captured } = alpaca();
    const { ticks } = await provider.poll();
    expect(ticks).toHaveLength(4);
    const request = requests[0] as (typeof requests)[number];
    expect(request.url.pathname).toBe("/v2/stocks/snapshots");
    expect(request.url.searchParams.get("symbols")).toBe("AAPL,MSFT");
    expect(request.headers.get("APCA-API-KEY-ID")).toBe("AKTESTKEYID");
    expect(request.headers.get("APCA-API-SECRET-KEY")).toBe("sekret-do-not-log");
    handler = () => json({ message: "forbidden." }, 403);
    await provider.poll().catch(() => undefined);
    expect(captured.text()).not.toContain("sekret-do-not-log");
    provider.close?.();
  });
});

describe("tiingo iex", () => {
  test("recorded top-of-book becomes a trade and a mid-priced quote; null legs after the close are skipped", async () => {
    const { ticks, malformed } = parseTiingoTops(tiingoIex, INGEST);
    expect(malformed).toEqual([]);
    expect(ticks).toEqual([
      expect.objectContaining({
        symbol: "AAPL",
        kind: "TRADE",
        eventTime: 1_767_625_199_874_051,
        price: "187.25",
        size: 100,
      }),
      expect.objectContaining({
        symbol: "AAPL",
        kind: "QUOTE",
        eventTime: 1_767_625_200_201_020,
        price: "187.255",
        bid: "187.24",
        ask: "187.27",
        bidSize: 100,
        askSize: 200,
      }),
    ]);
    handler = () => json(tiingoIex);
    requests.length = 0;
    const provider = tiingo(["AAPL", "MSFT"]);
    expect((await provider.poll()).ticks).toHaveLength(2);
    expect(requests[0]?.url.searchParams.get("tickers")).toBe("aapl,msft");
    expect(requests[0]?.headers.get("authorization")).toBe("Token tiingo-token");
    provider.close?.();
  });

  test("a share class is sent as Tiingo spells it (BRK.B → brk-b) and its ticks carry our symbol", async () => {
    handler = () => json([{ ...tiingoIex[0], ticker: "brk-b" }]);
    requests.length = 0;
    const provider = tiingo(["BRK.B", "AAPL"]);
    const { ticks } = await provider.poll();
    expect(requests[0]?.url.searchParams.get("tickers")).toBe("brk-b,aapl");
    expect(ticks.map((t) => (t as { symbol: string }).symbol)).toEqual(["BRK.B", "BRK.B"]);
    provider.close?.();
  });
});

describe("tiingo identities", () => {
  test("a trade and a quote stamped with the same microsecond both pass; polling the same tops again yields only duplicates", async () => {
    const sameInstant = "2026-01-05T10:00:00.201020876-05:00";
    const tops = [{ ...tiingoIex[0], lastSaleTimestamp: sameInstant, quoteTimestamp: sameInstant }];
    const sequencesOf = (ticks: unknown[]) => (ticks as Tick[]).map((t) => t.sequence);
    const parsed = parseTiingoTops(tops, INGEST).ticks as Tick[];
    expect(parsed.map((t) => [t.kind, t.eventTime, t.sequence])).toEqual([
      ["TRADE", 1_767_625_200_201_020, TIINGO_SEQUENCE.TRADE],
      ["QUOTE", 1_767_625_200_201_020, TIINGO_SEQUENCE.QUOTE],
    ]);
    expect(sequencesOf(parseTiingoTops(tops, INGEST + 60_000_000).ticks)).toEqual(
      sequencesOf(parsed),
    );

    handler = () => json(tops);
    const provider = tiingo(["AAPL"]);
    const { buffer, ingest } = pipeline();
    await ingest.poll(provider);
    await ingest.poll(provider);
    provider.close?.();
    expect(buffer.peek(10).map((t) => t.kind)).toEqual(["TRADE", "QUOTE"]);
    expect(ingest.snapshot([]).records).toMatchObject({
      fetched: 4,
      rejected: expect.objectContaining({ duplicate: 2 }),
    });
  });
});

describe("provider failures", () => {
  test("HTTP 500 is retried, then the circuit opens and stops calling; counted, nothing thrown", async () => {
    handler = () => json({ message: "internal" }, 500);
    requests.length = 0;
    const { provider } = alpaca();
    const { stats, ingest } = pipeline();
    for (let i = 0; i < 3; i += 1) await ingest.poll(provider);
    expect(requests).toHaveLength(9);
    expect(provider.health?.()).toMatchObject({ circuit: "open", retries: 6 });
    await ingest.poll(provider);
    expect(requests).toHaveLength(9);
    const snapshot = ingest.snapshot([{ provider }]);
    expect(snapshot.providers.alpaca).toMatchObject({
      ok: 0,
      errors: 4,
      circuit: "open",
      lastSuccessAt: null,
    });
    expect(stats.counter("polls").value).toBe(4);
    provider.close?.();
  });

  test("HTTP 429 is retried with backoff until the provider answers", async () => {
    let calls = 0;
    handler = () =>
      ++calls <= 2 ? json({ message: "too many requests" }, 429) : json(alpacaSnapshots);
    const { provider } = alpaca();
    const { ingest, buffer } = pipeline();
    await ingest.poll(provider);
    expect(calls).toBe(3);
    expect(buffer.size).toBe(4);
    expect(ingest.snapshot([{ provider }]).providers.alpaca).toMatchObject({
      ok: 1,
      errors: 0,
      retries: 2,
      circuit: "closed",
    });
    provider.close?.();
  });

  test("HTTP 429 with Retry-After waits at least that long before the next attempt", async () => {
    let calls = 0;
    handler = () =>
      ++calls === 1
        ? new Response(JSON.stringify({ message: "slow down" }), {
            status: 429,
            headers: { "content-type": "application/json", "retry-after": "1" },
          })
        : json(alpacaSnapshots);
    const { provider } = alpaca();
    const { ingest, buffer } = pipeline();
    const started = performance.now();
    await ingest.poll(provider);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(calls).toBe(2);
    expect(buffer.size).toBe(4);
    provider.close?.();
  });

  test("Retry-After is read as seconds or an HTTP date, capped, and ignored when invalid", () => {
    const now = Date.parse("2026-11-26T12:00:00Z");
    expect(retryAfterMs("2", now)).toBe(2000);
    expect(retryAfterMs("Thu, 26 Nov 2026 12:00:05 GMT", now)).toBe(5000);
    expect(retryAfterMs("3600", now)).toBe(30_000);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs("-1", now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  test("a provider that does not answer in time is timed out per attempt and counted as an error", async () => {
    handler = async () => {
      await Bun.sleep(400);
      return json(alpacaSnapshots);
    };
    requests.length = 0;
    const { provider } = alpaca({ timeoutMs: 50, retries: 1 });
    const { ingest } = pipeline();
    const started = performance.now();
    await ingest.poll(provider);
    expect(performance.now() - started).toBeLessThan(350);
    expect(requests).toHaveLength(2);
    expect(ingest.snapshot([{ provider }]).providers.alpaca).toMatchObject({
      ok: 0,
      errors: 1,
      retries: 1,
    });
    provider.close?.();
  });

  test("HTTP 401 (bad key) is not retried", async () => {
    handler = () => json({ message: "unauthorized." }, 401);
    requests.length = 0;
    const { provider } = alpaca();
    const { ingest } = pipeline();
    await ingest.poll(provider);
    expect(requests).toHaveLength(1);
    provider.close?.();
  });

  test("malformed payloads are rejected with a reason, good records beside them pass", async () => {
    const { provider } = alpaca();
    const { ingest, buffer } = pipeline();
    handler = () =>
      new Response("<html>502 Bad Gateway</html>", { headers: { "content-type": "text/html" } });
    await ingest.poll(provider);
    const aapl = alpacaSnapshots.AAPL;
    handler = () =>
      json({
        AAPL: aapl,
        MSFT: { latestTrade: { ...alpacaSnapshots.MSFT.latestTrade, p: "abc" } },
        GOOG: { latestTrade: { ...alpacaSnapshots.MSFT.latestTrade, p: 0 } },
        AMZN: "oops",
      });
    await ingest.poll(provider);
    const rejected = ingest.snapshot([]).records.rejected;
    expect(rejected).toMatchObject({
      malformed_payload: 2,
      schema_invalid: 1,
      non_positive_price: 1,
    });
    expect(buffer.peek(10).map((t) => `${t.symbol}:${t.kind}`)).toEqual([
      "AAPL:TRADE",
      "AAPL:QUOTE",
    ]);
    provider.close?.();
  });
});
