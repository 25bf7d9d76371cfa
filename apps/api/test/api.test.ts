/**
 * The api on the real stack: ticks posted through the producer, stored by the consumer, read back
 * through every `/v1` route and compared with CQL queries on the same keyspace; rollups against an
 * independent recomputation; every bad parameter a 400 naming it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  type BarValues,
  divideHalfEven,
  fromMicros,
  storedBarValues,
  toMicros,
} from "@repo/testkit";
import type cassandra from "cassandra-driver";
import type { Bar as ApiBar } from "../src/dashboard/api.ts";
import { createCursorCodec } from "../src/market/cursor.ts";
import { type ApiPipeline, iso, marketTicks, openStream, startApiPipeline } from "./support.ts";

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const SYMBOLS = ["AAPL", "MSFT", "BRK.B"];
/** Two UTC days before today's: history across a midnight, all in the past. */
const midnight = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS;
const FROM_MS = midnight - 50 * MINUTE_MS;
const TO_MS = midnight + 70 * MINUTE_MS;
const ticks = marketTicks({
  symbols: SYMBOLS,
  fromMs: FROM_MS,
  toMs: TO_MS,
  stepMs: 9_000,
  source: "api-test",
  seed: 13,
});

/** The api's cursor key, so a test can sign an expired cursor as the api would. */
const CURSOR_KEY = "api-test-cursor-key-0123456789abcdef";
let run: ApiPipeline;
let db: cassandra.Client;
beforeAll(async () => {
  run = await startApiPipeline("api", { API_CURSOR_KEY: CURSOR_KEY });
  db = run.pipeline.db;
  await run.post(ticks);
  await run.stored(ticks.length);
}, 240_000);
afterAll(async () => {
  await run?.pipeline.close();
}, 60_000);

const get = async <T = Record<string, unknown>>(path: string) => {
  const response = await fetch(`${run.api.url}${path}`);
  return { status: response.status, body: (await response.json()) as T };
};

const dayOf = (ms: number) => new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
const usToIso = (us: bigint) => {
  const ms = us / 1000n;
  return new Date(Number(ms)).toISOString().replace("Z", `${String(us % 1000n).padStart(3, "0")}Z`);
};

/** Stored 1-minute bars of a symbol over [fromMs, toMs) by CQL, oldest first. */
async function cqlMinuteBars(symbol: string, fromMs: number, toMs: number) {
  const bars: CqlBar[] = [];
  for (let day = Math.floor(fromMs / DAY_MS) * DAY_MS; day < toMs; day += DAY_MS) {
    const result = await db.execute(
      "SELECT minute, open, high, low, close, volume, vwap, trades FROM bars_1m WHERE symbol = ? AND day = ? AND minute >= ? AND minute < ?",
      [symbol, dayOf(day), new Date(fromMs), new Date(toMs)],
      { prepare: true, fetchSize: 10_000 },
    );
    const rows = result.rows.map((row) => ({
      start: (row.get("minute") as Date).getTime(),
      ...storedBarValues(row),
    }));
    bars.push(...rows.reverse());
  }
  return bars;
}

/** A stored minute bar (start in ms). */
interface CqlBar extends BarValues {
  start: number;
}

const sorted = (values: bigint[]) => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * The oracle: buckets of `stepMs` recomputed from CQL minute bars with testkit's exact decimal
 * arithmetic (independent of the api's rollup).
 */
function expectedRollup(minutes: CqlBar[], stepMs: number): ApiBar[] {
  const groups = new Map<number, CqlBar[]>();
  for (const bar of minutes) {
    const key = bar.start - (bar.start % stepMs);
    groups.set(key, [...(groups.get(key) ?? []), bar]);
  }
  return [...groups.keys()]
    .sort((a, b) => a - b)
    .map((start) => {
      const group = (groups.get(start) ?? []).sort((a, b) => a.start - b.start);
      const highs = group.map((b) => toMicros(b.high));
      const lows = group.map((b) => toMicros(b.low));
      const volume = group.reduce((s, b) => s + b.volume, 0n);
      const weighted = group.reduce((s, b) => s + toMicros(b.vwap) * b.volume, 0n);
      return {
        start: new Date(start).toISOString().replace("Z", "000Z"),
        open: fromMicros(toMicros(group[0]?.open ?? "0")),
        high: fromMicros(sorted(highs).at(-1) ?? 0n),
        low: fromMicros(sorted(lows)[0] ?? 0n),
        close: fromMicros(toMicros(group.at(-1)?.close ?? "0")),
        volume: Number(volume),
        vwap: fromMicros(divideHalfEven(weighted, volume)),
        trades: Number(group.reduce((s, b) => s + b.trades, 0n)),
      };
    });
}

describe("the api answers what Cassandra holds", () => {
  test("/v1/symbols lists every latest_quotes symbol with its latest event time", async () => {
    const rows = (await db.execute("SELECT symbol, event_time_us FROM latest_quotes")).rows;
    const expected = rows
      .map((r) => ({
        symbol: r.get("symbol") as string,
        latestEventTime: usToIso(BigInt(r.get("event_time_us").toString())),
      }))
      .sort((a, b) => a.symbol.localeCompare(b.symbol));
    const { status, body } = await get("/v1/symbols");
    expect(status).toBe(200);
    expect(body).toEqual({ symbols: expected });
    expect(expected.map((s) => s.symbol)).toEqual([...SYMBOLS].sort());
  });

  test("/v1/quotes answers each asked symbol's latest_quotes row in the order asked", async () => {
    const { status, body } = await get<{ quotes: Record<string, unknown>[] }>(
      "/v1/quotes?symbols=msft,AAPL,NOPE",
    );
    expect(status).toBe(200);
    expect(body.quotes.map((q) => q.symbol)).toEqual(["MSFT", "AAPL"]);
    for (const quote of body.quotes) {
      const row = (
        await db.execute(
          "SELECT kind, price, bid, ask, size, event_time_us, source, sequence FROM latest_quotes WHERE symbol = ?",
          [quote.symbol],
          { prepare: true },
        )
      ).first();
      const price = (value: unknown) =>
        value === null ? null : fromMicros(toMicros(String(value)));
      expect(quote).toMatchObject({
        kind: row.get("kind"),
        price: price(row.get("price")),
        bid: price(row.get("bid")),
        ask: price(row.get("ask")),
        size: Number(row.get("size")),
        eventTime: usToIso(BigInt(row.get("event_time_us").toString())),
        source: row.get("source"),
        sequence: Number(row.get("sequence")),
      });
    }
  });

  test("/v1/bars at 1m equals the bars_1m rows of the range, oldest first, across UTC midnight", async () => {
    for (const symbol of SYMBOLS) {
      const stored = await cqlMinuteBars(symbol, FROM_MS, TO_MS);
      const { status, body } = await get<{ symbol: string; interval: string; bars: ApiBar[] }>(
        `/v1/bars/${symbol}?interval=1m&from=${iso(FROM_MS)}&to=${iso(TO_MS)}`,
      );
      expect(status).toBe(200);
      expect(body.symbol).toBe(symbol);
      expect(stored.length).toBe(120);
      expect(body.bars).toEqual(expectedRollup(stored, MINUTE_MS));
    }
  });

  test.each([
    ["5m", 5 * MINUTE_MS],
    ["15m", 15 * MINUTE_MS],
    ["1h", 60 * MINUTE_MS],
    ["1d", DAY_MS],
  ])(
    "/v1/bars at %s equals an independent rollup of the stored minutes",
    async (interval, stepMs) => {
      const from = FROM_MS + 7 * MINUTE_MS + 123;
      const to = TO_MS - 3 * MINUTE_MS;
      const alignedFrom = from - (from % stepMs);
      const alignedTo = Math.ceil(to / stepMs) * stepMs;
      for (const symbol of SYMBOLS) {
        const minutes = await cqlMinuteBars(symbol, alignedFrom, alignedTo);
        const { status, body } = await get<{ interval: string; bars: ApiBar[] }>(
          `/v1/bars/${encodeURIComponent(symbol)}?interval=${interval}&from=${iso(from)}&to=${iso(to)}`,
        );
        expect(status).toBe(200);
        expect(body.interval).toBe(interval);
        expect(body.bars.length).toBeGreaterThan(0);
        expect(body.bars).toEqual(expectedRollup(minutes, stepMs));
      }
    },
  );

  test("/v1/ticks pages through every stored tick of the range exactly once, oldest first", async () => {
    const symbol = "MSFT";
    const expected = await storedTicks(symbol);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `from=${iso(FROM_MS)}&to=${iso(TO_MS)}&limit=97${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await get<{ ticks: Record<string, unknown>[]; next: string | null }>(
        `/v1/ticks/${symbol}?${query}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.ticks.length).toBeLessThanOrEqual(97);
      for (const tick of page.body.ticks)
        seen.push(`${tick.eventTime}|${tick.source}|${tick.sequence}`);
      cursor = page.body.next;
      pages += 1;
    } while (cursor !== null && pages < 100);
    expect(seen.length).toBe(expected.length);
    expect(new Set(seen)).toEqual(new Set(expected));
    const times = seen.map((s) => s.split("|")[0] as string);
    expect(times).toEqual([...times].sort());
    expect(pages).toBeGreaterThan(5);
  });

  test("a cancelled trade is returned by /v1/ticks marked cancelled: true and left out of /v1/bars", async () => {
    const at = midnight + 5 * MINUTE_MS;
    const trade = (sequence: number, price: string, size: number) => ({
      source: "api-test",
      symbol: "CXLD",
      kind: "TRADE",
      eventTime: iso(at + sequence),
      sequence,
      price,
      size,
      ingestTime: iso(at + 1_000),
    });
    const written = (await run.pipeline.consumer.json<{ records: { written: number } }>("/stats"))
      .records.written;
    await run.post([
      trade(1, "10", 5),
      trade(2, "20", 7),
      { ...trade(2, "20", 7), cancelled: true },
    ]);
    await run.stored(written + 3);
    const range = `from=${iso(at)}&to=${iso(at + MINUTE_MS)}`;
    const page = await get<{ ticks: Record<string, unknown>[] }>(`/v1/ticks/CXLD?${range}`);
    expect(page.body.ticks.map((t) => [t.sequence, t.cancelled])).toEqual([
      [1, false],
      [2, true],
    ]);
    const bars = await get<{ bars: ApiBar[] }>(`/v1/bars/CXLD?interval=1m&${range}`);
    expect(bars.body.bars.map((b) => [b.close, b.volume, b.trades])).toEqual([["10", 5, 1]]);
  });

  test("following `next` alone (no from/to, any limit) returns every tick of a two-day range exactly once", async () => {
    const symbol = "AAPL";
    const expected = await storedTicks(symbol);
    expect(new Set(expected.map((t) => t.slice(0, 10))).size).toBe(2);
    const first = await get<TickPage>(
      `/v1/ticks/${symbol}?from=${iso(FROM_MS)}&to=${iso(TO_MS)}&limit=5`,
    );
    expect(first.status).toBe(200);
    const seen = first.body.ticks.map(identity);
    let next = first.body.next;
    let pages = 1;
    while (next !== null && pages < 1000) {
      const page = await get<TickPage>(
        `/v1/ticks/${symbol}?cursor=${next}&limit=${pages % 2 ? 5 : 61}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.ticks.map(identity));
      next = page.body.next;
      pages += 1;
    }
    expect(next).toBeNull();
    expect(seen.length).toBe(expected.length);
    expect(seen).toEqual(expected);
    expect(pages).toBeGreaterThan(20);
  });

  test("a ticks cursor is refused for another range", async () => {
    const first = await get<{ next: string }>(
      `/v1/ticks/AAPL?from=${iso(FROM_MS)}&to=${iso(TO_MS)}&limit=10`,
    );
    const other = await get<{ error: { issues: { path: string }[] } }>(
      `/v1/ticks/AAPL?from=${iso(FROM_MS)}&to=${iso(TO_MS - 1)}&limit=10&cursor=${first.body.next}`,
    );
    expect(other.status).toBe(400);
    expect(other.body.error.issues[0]?.path).toBe("cursor");
    const otherSymbol = await get<{ error: { issues: { reason: string }[] } }>(
      `/v1/ticks/MSFT?cursor=${first.body.next}`,
    );
    expect(otherSymbol.status).toBe(400);
    expect(otherSymbol.body.error.issues[0]?.reason).toBe("other_query");
  });

  test("a forged, a tampered and an expired cursor are each a 400 naming cursor and why", async () => {
    const first = await get<TickPage>(
      `/v1/ticks/AAPL?from=${iso(FROM_MS)}&to=${iso(TO_MS)}&limit=10`,
    );
    const genuine = first.body.next as string;
    const bytes = Buffer.from(genuine, "base64url");
    bytes[10] = (bytes[10] as number) ^ 0x01;
    const tampered = bytes.toString("base64url");
    const query = { symbol: "AAPL", fromUs: FROM_MS * 1000, toUs: TO_MS * 1000 };
    const forged = createCursorCodec({ key: Buffer.alloc(32, 7), ttlMs: 60_000 }).encode({
      ...query,
      day: Math.floor(FROM_MS / DAY_MS) * DAY_MS * 1000 - 400 * DAY_MS * 1000,
      pageState: null,
    });
    const expired = createCursorCodec({ key: Buffer.from(CURSOR_KEY), ttlMs: 1 }).encode(
      { ...query, day: Math.floor(FROM_MS / DAY_MS) * DAY_MS * 1000, pageState: null },
      Date.now() - 1,
    );
    for (const [cursor, reason] of [
      [forged, "forged"],
      [tampered, "forged"],
      [expired, "expired"],
    ] as const) {
      const started = performance.now();
      const refused = await get<CursorRefusal>(`/v1/ticks/AAPL?cursor=${cursor}&limit=5`);
      const tookMs = performance.now() - started;
      console.log(
        `cursor ${reason === "expired" ? "expired" : cursor === forged ? "forged" : "tampered"}: 400 in ${tookMs.toFixed(1)} ms`,
      );
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe("invalid_parameter");
      expect(refused.body.error.issues).toEqual([
        expect.objectContaining({ path: "cursor", in: "query", reason }),
      ]);
      expect(refused.body.error.message).toStartWith("cursor: ");
      expect(tookMs).toBeLessThan(2_000);
    }
  });
});

type TickPage = { ticks: Record<string, unknown>[]; next: string | null };
type CursorRefusal = {
  error: { code: string; message: string; issues: { path: string; in: string; reason: string }[] };
};
const identity = (tick: Record<string, unknown>) =>
  `${tick.eventTime}|${tick.source}|${tick.sequence}`;

/** The stored ticks of `symbol` in [FROM_MS, TO_MS) by CQL, as identities in event-time order. */
async function storedTicks(symbol: string): Promise<string[]> {
  const found: { us: bigint; id: string }[] = [];
  for (const day of [FROM_MS, TO_MS]) {
    const rows = await db.execute(
      "SELECT event_time_us, source, sequence FROM ticks WHERE symbol = ? AND day = ?",
      [symbol, dayOf(day)],
      { prepare: true, fetchSize: 10_000 },
    );
    for (const row of rows.rows) {
      const us = BigInt(row.get("event_time_us").toString());
      if (us >= BigInt(FROM_MS) * 1000n && us < BigInt(TO_MS) * 1000n)
        found.push({ us, id: `${usToIso(us)}|${row.get("source")}|${row.get("sequence")}` });
    }
  }
  return found.sort((a, b) => (a.us < b.us ? -1 : a.us > b.us ? 1 : 0)).map((t) => t.id);
}

describe("every parameter is validated", () => {
  const range = `from=${iso(FROM_MS)}&to=${iso(TO_MS)}`;
  test.each([
    ["/v1/quotes", "symbols"],
    ["/v1/quotes?symbols=", "symbols"],
    ["/v1/quotes?symbols=AAPL,$$$", "symbols"],
    [`/v1/quotes?symbols=${Array.from({ length: 51 }, (_, i) => `S${i}`).join(",")}`, "symbols"],
    ["/v1/bars/AAPL?interval=2m", "interval"],
    ["/v1/bars/AAPL?from=yesterday", "from"],
    ["/v1/bars/AAPL?to=2026-01-05T14:30:00", "to"],
    [`/v1/bars/AAPL?from=${iso(TO_MS)}&to=${iso(FROM_MS)}`, "from"],
    [`/v1/bars/AAPL?interval=1m&from=${iso(FROM_MS - 8 * DAY_MS)}&to=${iso(FROM_MS)}`, "from"],
    [`/v1/bars/AAPL?interval=1d&from=${iso(FROM_MS - 400 * DAY_MS)}&to=${iso(FROM_MS)}`, "from"],
    ["/v1/bars/NOT_A_TICKER_AT_ALL", "symbol"],
    [`/v1/ticks/AAPL?${range}&limit=0`, "limit"],
    [`/v1/ticks/AAPL?${range}&limit=5001`, "limit"],
    [`/v1/ticks/AAPL?${range}&limit=ten`, "limit"],
    [`/v1/ticks/AAPL?${range}&cursor=not*a*cursor`, "cursor"],
    [`/v1/ticks/AAPL?${range}&cursor=bm90LWEtY3Vyc29y`, "cursor"],
    [`/v1/ticks/AAPL?from=${iso(FROM_MS - 40 * DAY_MS)}&to=${iso(FROM_MS)}`, "from"],
    ["/v1/stream?symbols=a b", "symbols"],
  ])("%s → 400 naming %s", async (path, field) => {
    const { status, body } = await get<{
      error: { code: string; message: string; issues: { path: string }[] };
    }>(path);
    expect(status).toBe(400);
    expect(body.error.code).toBe("invalid_parameter");
    expect(body.error.issues.map((i) => i.path)).toContain(field);
    expect(body.error.message).toContain(field);
  });
});

test("/openapi.json documents every /v1 route with its validated parameters", async () => {
  const { status, body } = await get<{
    openapi: string;
    paths: Record<
      string,
      { get: { parameters?: { name: string; schema: Record<string, unknown> }[] } }
    >;
  }>("/openapi.json");
  expect(status).toBe(200);
  expect(body.openapi).toBe("3.1.0");
  expect(Object.keys(body.paths).sort()).toEqual([
    "/v1/alerts",
    "/v1/alerts/firing",
    "/v1/alerts/rules",
    "/v1/alerts/rules/{id}",
    "/v1/alerts/stream",
    "/v1/analytics/status",
    "/v1/backfills",
    "/v1/backfills/{id}",
    "/v1/bars/{symbol}",
    "/v1/indicators/{symbol}",
    "/v1/kafka/dlq",
    "/v1/kafka/dlq/redrive",
    "/v1/kafka/groups",
    "/v1/kafka/groups/{group}/offsets",
    "/v1/kafka/topics",
    "/v1/kafka/topics/{topic}/messages",
    "/v1/kafka/topics/{topic}/tail",
    "/v1/pipeline",
    "/v1/providers",
    "/v1/providers/{name}/pause",
    "/v1/providers/{name}/resume",
    "/v1/providers/{name}/run",
    "/v1/quotes",
    "/v1/runs",
    "/v1/schemas",
    "/v1/schemas/{subject}/versions/{a}/diff/{b}",
    "/v1/stream",
    "/v1/streaming-job",
    "/v1/streams",
    "/v1/symbols",
    "/v1/ticks/{symbol}",
  ]);
  const bars = body.paths["/v1/bars/{symbol}"]?.get.parameters ?? [];
  expect(bars.map((p) => p.name).sort()).toEqual(["from", "interval", "symbol", "to"]);
  expect(bars.find((p) => p.name === "interval")?.schema.enum).toEqual([
    "1m",
    "5m",
    "15m",
    "1h",
    "1d",
  ]);
  const limit = body.paths["/v1/ticks/{symbol}"]?.get.parameters?.find((p) => p.name === "limit");
  expect(limit?.schema).toMatchObject({ minimum: 1, maximum: 5000 });
});

test("/v1/stream sends the stored quote and 1-minute bar of a newly posted tick", async () => {
  const stream = await openStream(`${run.api.url}/v1/stream?symbols=AAPL`);
  try {
    expect(stream.contentType).toStartWith("text/event-stream");
    await stream.next((e) => e.event === "quote", "the current AAPL quote was not sent first");
    const eventTime = iso(Date.now() - 2_000, 321);
    await run.post([
      {
        source: "api-test",
        symbol: "AAPL",
        kind: "TRADE",
        eventTime,
        sequence: 1_000_000,
        price: "123.456789",
        size: 42,
        ingestTime: eventTime,
      },
    ]);
    const quote = await stream.next(
      (e) => e.event === "quote" && JSON.parse(e.data).eventTime === eventTime,
      "no quote event for the posted tick",
    );
    expect(JSON.parse(quote.data)).toMatchObject({ symbol: "AAPL", price: "123.456789", size: 42 });
    const minute = new Date(Math.floor(Date.parse(eventTime) / MINUTE_MS) * MINUTE_MS);
    const bar = await stream.next(
      (e) => e.event === "bar" && JSON.parse(e.data).start === iso(minute.getTime()),
      "no bar event for the posted tick's minute",
    );
    const [stored] = await cqlMinuteBars("AAPL", minute.getTime(), minute.getTime() + MINUTE_MS);
    expect(JSON.parse(bar.data)).toEqual({
      symbol: "AAPL",
      interval: "1m",
      ...expectedRollup(stored ? [stored] : [], MINUTE_MS)[0],
    });
  } finally {
    stream.close();
  }
});
