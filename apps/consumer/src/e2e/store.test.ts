/**
 * The Cassandra edge against the real server (a fresh migrated keyspace): refused rows are found
 * row by row while their neighbours are written, a bar computed from fewer ticks never replaces
 * one computed from more, whatever order the writes land in, and quiet symbols' ticks share
 * batches Cassandra accepts without a warning.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Bar, Tick } from "@repo/contracts";
import type { PipelineError } from "@repo/platform/errors";
import {
  cassandraClient,
  dropKeyspace,
  provisionKeyspace,
  sampleTick,
  uniqueId,
} from "@repo/testkit";
import cassandra from "cassandra-driver";
import { boundBytes } from "../cassandra/partition-writes.ts";
import { tickRow } from "../cassandra/rows.ts";
import { createTickStore } from "../cassandra/store.ts";

const keyspace = uniqueId("store").replace(/[^a-z0-9_]/g, "_");
let client: cassandra.Client;
let store: ReturnType<typeof createTickStore>;

beforeAll(async () => {
  await provisionKeyspace(keyspace);
  client = await cassandraClient(keyspace);
  store = createTickStore({
    client,
    consistency: cassandra.types.consistencies.localQuorum,
    maxConcurrency: 4,
    batchMaxRows: 40,
  });
}, 60_000);
afterAll(async () => {
  await client?.shutdown();
  await dropKeyspace(keyspace).catch(() => {});
});

const minute = (Math.floor(Date.now() / 60_000) - 30) * 60_000_000;
const tick = (sequence: number, overrides: Partial<Tick> = {}): Tick =>
  sampleTick({
    source: "store-test",
    eventTime: minute + sequence,
    sequence,
    exchange: null,
    ingestTime: minute,
    ...overrides,
  });
const bar = (trades: number, close: string): Bar => ({
  symbol: "AAPL",
  start: minute,
  end: minute + 60_000_000,
  open: "187.25",
  high: "190",
  low: "187",
  close,
  volume: trades * 10,
  vwap: "188",
  trades,
});
/** A bar as the runner writes it: versioned by what its minute has seen (its trades when no cancel). */
const seenAs = (b: Bar, seen = b.trades) => ({ symbol: b.symbol, start: b.start, bar: b, seen });

test("a row Cassandra refuses is returned with its reason once refused on a second attempt; the rows batched with it are stored", async () => {
  const refusedSource = "x".repeat(70_000); // a clustering key over 64 KiB
  const rows = [tick(1), tick(2, { source: refusedSource }), tick(3)];
  // The first refusal while every column exists may predate a schema fix: retried, not blamed.
  const first = await store.writeTicks(rows).then(
    () => undefined,
    (error: PipelineError) => error,
  );
  expect(first?.retriable).toBe(true);
  expect(first?.message).toContain("trying once more before blaming the row");
  const refused = await store.writeTicks(rows);
  expect(refused.map(({ row }) => row.sequence)).toEqual([2]);
  expect(refused[0]?.error.retriable).toBe(false);
  expect(refused[0]?.error.code).toBe("cassandra_refused");
  const stored = await client.execute("SELECT sequence FROM ticks");
  expect(stored.rows.map((r) => Number(r.get("sequence"))).sort()).toEqual([1, 3]);
});

test("a stale bar (fewer trades) written after a newer one leaves the newer one in place", async () => {
  const read = async () => {
    const row = (await client.execute("SELECT trades, close FROM bars_1m")).first();
    return [Number(row?.get("trades")), String(row?.get("close"))];
  };
  expect(await store.writeBars([seenAs(bar(10, "189"))])).toEqual([]);
  await store.writeBars([seenAs(bar(5, "188"))]);
  expect(await read()).toEqual([10, "189"]);
  await store.writeBars([seenAs(bar(11, "189.5"))]);
  expect(await read()).toEqual([11, "189.5"]);
});

test("a trade and a quote of one symbol in the same microsecond, written by different batches: latest_quotes holds one of them whole, never cells of both", async () => {
  const at = minute + 500_000;
  const trade = tick(1, { symbol: "TIE", eventTime: at, kind: "TRADE", price: "100", size: 5 });
  const quote = tick(2, {
    symbol: "TIE",
    eventTime: at,
    kind: "QUOTE",
    price: "200",
    size: 0,
    bid: "199.5",
    ask: "200.5",
    bidSize: 100,
    askSize: 300,
  });
  for (const order of [
    [trade, quote],
    [quote, trade],
  ]) {
    await client.execute("TRUNCATE latest_quotes");
    for (const t of order) expect(await store.writeLatest([t as Tick])).toEqual([]);
    const row = (
      await client.execute(
        "SELECT kind, sequence, CAST(price AS text) AS price, size, CAST(bid AS text) AS bid FROM latest_quotes WHERE symbol = 'TIE'",
      )
    ).first();
    const stored = [
      row?.get("kind"),
      Number(row?.get("sequence")),
      row?.get("price"),
      Number(row?.get("size")),
      row?.get("bid"),
    ];
    const whole = (t: Tick) => [t.kind, t.sequence, t.price, t.size, t.bid];
    expect([whole(trade), whole(quote)]).toContainEqual(stored);
  }
});

test("two different bars of one minute with the same trade count: the row is one of them whole, whichever lands last", async () => {
  // Each has some columns larger than the other's, so Cassandra's per-cell tie rule would mix them.
  const first = { ...bar(20, "188"), symbol: "TIEBAR", high: "191", volume: 300, vwap: "187.5" };
  const second = { ...bar(20, "189"), symbol: "TIEBAR", high: "189", volume: 200, vwap: "188.5" };
  const read = async () => {
    const row = (
      await client.execute(
        "SELECT CAST(high AS text) AS high, CAST(close AS text) AS close, volume, CAST(vwap AS text) AS vwap FROM bars_1m WHERE symbol = 'TIEBAR' AND day = ?",
        [new Date(minute / 1000).toISOString().slice(0, 10)],
        { prepare: true },
      )
    ).first();
    return [row?.get("high"), row?.get("close"), Number(row?.get("volume")), row?.get("vwap")];
  };
  const whole = (b: Bar) => [b.high, b.close, b.volume, b.vwap];
  for (const order of [
    [first, second],
    [second, first],
  ]) {
    await client.execute("TRUNCATE bars_1m");
    for (const b of order) await store.writeBars([seenAs(b as Bar)]);
    const stored = await read();
    expect([whole(first), whole(second)]).toContainEqual(stored);
  }
});

test("a cancel stays cancelled whichever of the cancel and the trade is written first and however often either is replayed; the minute's read-back carries it", async () => {
  const at = minute + 7_000_000;
  const trade = tick(1, { symbol: "CXL", eventTime: at, price: "10", size: 5 });
  const cancel = { ...trade, cancelled: true };
  const other = tick(2, { symbol: "CXL", eventTime: at + 1, price: "11", size: 3 });
  const state = async () => {
    const folded: [number, boolean][] = [];
    await store.foldTrades({ symbol: "CXL", start: minute }, (t) =>
      folded.push([t.sequence, t.cancelled === true]),
    );
    return folded.sort((a, b) => a[0] - b[0]);
  };
  for (const order of [
    [cancel, trade, other, trade],
    [trade, cancel, cancel, other, trade],
  ]) {
    await client.execute("TRUNCATE ticks");
    for (const t of order) expect(await store.writeTicks([t])).toEqual([]);
    expect(await state()).toEqual([
      [1, true],
      [2, false],
    ]);
  }
});

test("a minute whose every trade is cancelled: its bar row is deleted above the last bar, and a later trade's bar comes back", async () => {
  const start = minute - 60_000_000;
  const one = { ...bar(1, "188"), symbol: "GONE", start, end: start + 60_000_000 };
  const read = async () =>
    (
      await client.execute(
        "SELECT trades FROM bars_1m WHERE symbol = 'GONE' AND day = ? AND minute = ?",
        [new Date(start / 1000).toISOString().slice(0, 10), new Date(start / 1000)],
        { prepare: true },
      )
    ).rows.map((r) => Number(r.get("trades")));
  await store.writeBars([seenAs(one, 1)]);
  expect(await read()).toEqual([1]);
  await store.writeBars([{ symbol: "GONE", start, bar: undefined, seen: 2 }]);
  expect(await read()).toEqual([]);
  // The stale bar (seen 1) replayed after the deletion stays deleted.
  await store.writeBars([seenAs(one, 1)]);
  expect(await read()).toEqual([]);
  await store.writeBars([seenAs({ ...one, trades: 1, close: "189" }, 3)]);
  expect(await read()).toEqual([1]);
});

/** The warnings Cassandra attached to its answers while `run` ran (the driver logs them). */
async function warningsDuring(run: () => Promise<unknown>): Promise<string[]> {
  const warnings: string[] = [];
  const listener = (level: string, _source: string, message: string) => {
    if (level === "warning") warnings.push(message);
  };
  client.on("log", listener);
  try {
    await run();
  } finally {
    client.off("log", listener);
  }
  return warnings;
}

test("quiet symbols' ticks share batches of ≤ 10 partitions: far fewer requests than partitions, every row stored, no warning from Cassandra", async () => {
  const requests: number[] = [];
  // The store's driver client, with its requests counted (everything else is the client's own).
  const counted = Object.create(client) as cassandra.Client;
  counted.batch = ((queries: unknown[], options: cassandra.QueryOptions) => {
    requests.push(queries.length);
    return client.batch(queries as never, options);
  }) as never;
  counted.execute = ((query: string, params: unknown[], options: cassandra.QueryOptions) => {
    if (query === tickRow.insert) requests.push(1);
    return client.execute(query, params, options);
  }) as never;
  const packing = createTickStore({
    client: counted,
    consistency: cassandra.types.consistencies.localQuorum,
    maxConcurrency: 4,
    batchMaxRows: 40,
  });
  const symbols = Array.from({ length: 57 }, (_, i) => `QUIET${i}`);
  const ticks = symbols.flatMap((symbol, i) =>
    Array.from({ length: 1 + (i % 3) }, (_, n) => tick(1000 + n, { symbol })),
  );
  const warnings = await warningsDuring(async () => {
    expect(await packing.writeTicks(ticks)).toEqual([]);
  });
  expect(warnings).toEqual([]);
  // 57 partitions, 114 rows: at most 10 partitions and 40 rows per request, so ≥ 6 requests; one
  // per partition would be 57.
  expect(requests.reduce((a, b) => a + b, 0)).toBe(ticks.length);
  expect(requests.length).toBeGreaterThanOrEqual(6);
  expect(requests.length).toBeLessThanOrEqual(15);
  const stored = await client.execute(
    `SELECT symbol, sequence FROM ticks WHERE symbol IN (${symbols.map(() => "?").join(",")}) AND day = ?`,
    [...symbols, new Date(minute / 1000).toISOString().slice(0, 10)],
    { prepare: true },
  );
  expect(stored.rows.map((r) => `${r.get("symbol")}#${r.get("sequence")}`).sort()).toEqual(
    ticks.map((t) => `${t.symbol}#${t.sequence}`).sort(),
  );
});

test("a batch's size as the store estimates it is at or just above Cassandra's own count (its warning names it), for the longest rows the contracts allow and for typical ones", async () => {
  const longest = (i: number): Tick =>
    tick(2000 + i, {
      source: "S".repeat(64),
      symbol: `LONG${i % 10}`.padEnd(12, "X"),
      kind: "QUOTE",
      price: "123456789.123456",
      size: 1_000_000_000,
      bid: "123456789.123455",
      ask: "123456789.123457",
      bidSize: 1_000_000_000,
      askSize: 1_000_000_000,
      exchange: "E".repeat(32),
      cancelled: true,
    });
  const typical = (i: number): Tick =>
    tick(3000 + i, { source: "alpaca", symbol: `TYP${i % 10}`, exchange: "V" });
  // Enough rows of 10 partitions to pass the stack's 64 KiB warning threshold, so Cassandra says
  // how it counted them.
  for (const [make, rows] of [
    [longest, 200],
    [typical, 600],
  ] as const) {
    const bound = Array.from({ length: rows }, (_, i) => tickRow.values(make(i)));
    const estimate = bound.reduce((sum, values) => sum + boundBytes(values), 0);
    const warnings = await warningsDuring(() =>
      client.batch(
        bound.map((params) => ({ query: tickRow.insert, params })),
        { prepare: true, logged: false },
      ),
    );
    const counted = Number(/is of size (\d+)/.exec(warnings.join(" "))?.[1]);
    expect(counted).toBeGreaterThan(64 * 1024);
    expect(estimate).toBeGreaterThanOrEqual(counted);
    expect(estimate).toBeLessThanOrEqual(counted * 1.25);
  }
});
