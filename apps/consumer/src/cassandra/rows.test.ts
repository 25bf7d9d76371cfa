import { expect, test } from "bun:test";
import { BARS_1M, LATEST_QUOTES, TICKS } from "@repo/cassandra";
import type { Tick } from "@repo/contracts";
import { sampleTick } from "@repo/testkit";
import {
  dataTypes,
  driverCodec,
} from "../../../../libs/cassandra/src/rows/driver-codec.test-helpers.ts";
import { barDeleteRow, barRow, latestRow, tickRow } from "./rows.ts";

const tick = sampleTick({
  source: "sim",
  kind: "QUOTE",
  eventTime: 1_767_623_400_123_456,
  sequence: 7,
  price: "187.25",
  size: 0,
  bid: "187.24",
  bidSize: 100,
  exchange: null,
  ingestTime: 1_767_623_400_200_000,
});

/** CQL types of the columns bound as pre-encoded bytes, to read them back with the driver. */
const columnTypes: Record<string, number> = {
  event_time_us: dataTypes.bigint,
  ingest_time_us: dataTypes.bigint,
  sequence: dataTypes.bigint,
  size: dataTypes.bigint,
  bid_size: dataTypes.bigint,
  ask_size: dataTypes.bigint,
  volume: dataTypes.bigint,
  trades: dataTypes.bigint,
  event_time: dataTypes.timestamp,
  minute: dataTypes.timestamp,
  price: dataTypes.decimal,
  bid: dataTypes.decimal,
  ask: dataTypes.decimal,
  open: dataTypes.decimal,
  high: dataTypes.decimal,
  low: dataTypes.decimal,
  close: dataTypes.decimal,
  vwap: dataTypes.decimal,
};

/** Column name → bound value as text (bytes decoded with the driver as their column's type). */
const bound = (insert: string, values: unknown[]) => {
  const names = /\(([^)]*)\) VALUES/.exec(insert)?.[1]?.split(", ") ?? [];
  expect(values.length).toBeGreaterThanOrEqual(names.length);
  return Object.fromEntries(
    names.map((name, i) => {
      const value = values[i];
      const code = columnTypes[name];
      if (!Buffer.isBuffer(value)) return [name, String(value)];
      if (code === undefined) throw new Error(`${name} is bound as bytes but its type is unknown`);
      return [name, String(driverCodec.decode(value, { code }))];
    }),
  );
};

/**
 * The columns each field of `tick` binds in `ticks`, keyed by the generated Tick type: a new Tick
 * field fails to compile here until its expected column(s) are written down.
 */
const expectedTickColumns: { [K in keyof Tick]-?: Record<string, string> } = {
  symbol: { symbol: "AAPL" },
  eventTime: {
    day: "2026-01-05",
    event_time_us: "1767623400123456",
    event_time: new Date(1_767_623_400_123).toString(),
  },
  source: { source: "sim" },
  sequence: { sequence: "7" },
  kind: { kind: "QUOTE" },
  price: { price: "187.25" },
  size: { size: "0" },
  bid: { bid: "187.24" },
  ask: { ask: "undefined" },
  bidSize: { bid_size: "100" },
  askSize: { ask_size: "undefined" },
  exchange: { exchange: "undefined" },
  ingestTime: { ingest_time_us: "1767623400200000" },
  cancelled: { cancelled: "undefined" },
};

test("a tick row binds every column by name; absent optionals are unset, not null", () => {
  expect(bound(tickRow.insert, tickRow.values(tick))).toEqual(
    Object.assign({}, ...Object.values(expectedTickColumns)),
  );
});

test("a cancel binds cancelled = true; a standing tick leaves the column unset, so a replayed trade cannot undo a cancel", () => {
  const trade = sampleTick();
  expect(bound(tickRow.insert, tickRow.values({ ...trade, cancelled: true })).cancelled).toBe(
    "true",
  );
  expect(bound(tickRow.insert, tickRow.values(trade)).cancelled).toBe("undefined");
});

const timestampOf = (values: unknown[]) => (values.at(-1) as Buffer).readBigInt64BE(0);

test("the latest quote replaces absent optionals with nulls and is timestamped with its event time × 1024 plus a tiebreak", () => {
  const values = latestRow.values(tick);
  expect(bound(latestRow.insert, values)).toMatchObject({ ask: "null", exchange: "null" });
  expect(latestRow.insert).toEndWith("USING TIMESTAMP ?");
  const written = timestampOf(values);
  expect(written / 1024n).toBe(BigInt(tick.eventTime));
  // A later microsecond always wins; a quote in the same microsecond gets another timestamp.
  const later = { ...tick, eventTime: tick.eventTime + 1, sequence: 0 };
  expect(timestampOf(latestRow.values(later))).toBeGreaterThan(written);
  const sameMicrosecond = { ...tick, kind: "QUOTE" as const, sequence: tick.sequence + 1 };
  expect(timestampOf(latestRow.values(sameMicrosecond))).not.toBe(written);
});

test("a bar row is versioned by its minute's start plus its trade count (× 1024, plus a tiebreak from its values)", () => {
  const bar = {
    symbol: "AAPL",
    start: 1_767_623_400_000_000,
    end: 1_767_623_460_000_000,
    open: "1",
    high: "2",
    low: "1",
    close: "2",
    volume: 10,
    vwap: "1.5",
    trades: 3,
  };
  const row = (b: typeof bar, seen = b.trades) => ({
    symbol: b.symbol,
    start: b.start,
    bar: b,
    seen,
  });
  expect(barRow.insert).toEndWith("USING TIMESTAMP ?");
  const version = timestampOf(barRow.values(row(bar)));
  expect(version / 1024n).toBe(1_767_623_400_000_003n);
  // One trade more always wins; the same count with other values gets another timestamp.
  expect(timestampOf(barRow.values(row({ ...bar, trades: 4 })))).toBeGreaterThan(version);
  expect(timestampOf(barRow.values(row({ ...bar, close: "1.9" })))).not.toBe(version);
  // One of the 3 trades cancelled: 2 trades, but seen = 2 + 2 × 1 = 4, above the stale bar.
  expect(timestampOf(barRow.values(row({ ...bar, trades: 2, volume: 7 }, 4)))).toBeGreaterThan(
    version,
  );
  expect(bound(barRow.insert, barRow.values(row(bar)))).toMatchObject({
    symbol: "AAPL",
    day: "2026-01-05",
    minute: new Date(1_767_623_400_000).toString(),
    open: "1",
    high: "2",
    low: "1",
    close: "2",
    volume: "10",
    vwap: "1.5",
    trades: "3",
  });
});

test("a minute whose every trade is cancelled deletes its bar row above the last version written", () => {
  const start = 1_767_623_400_000_000;
  const lastBar = {
    symbol: "AAPL",
    start,
    end: start + 60_000_000,
    open: "1",
    high: "1",
    low: "1",
    close: "1",
    volume: 5,
    vwap: "1",
    trades: 1,
  };
  const written = timestampOf(barRow.values({ symbol: "AAPL", start, bar: lastBar, seen: 1 }));
  const deletion = barDeleteRow.values({ symbol: "AAPL", start, bar: undefined, seen: 2 });
  expect(barDeleteRow.insert).toStartWith("DELETE FROM bars_1m USING TIMESTAMP ?");
  expect((deletion[0] as Buffer).readBigInt64BE(0)).toBeGreaterThan(written);
  // A trade arriving later (seen 3) writes a bar above the deletion.
  const later = timestampOf(barRow.values({ symbol: "AAPL", start, bar: lastBar, seen: 3 }));
  expect(later).toBeGreaterThan((deletion[0] as Buffer).readBigInt64BE(0));
});

test("every column a row mapping binds is a column of its table in the storage layout", () => {
  for (const [row, layout] of [
    [tickRow, TICKS],
    [latestRow, LATEST_QUOTES],
    [barRow, BARS_1M],
    [barDeleteRow, BARS_1M],
  ] as const) {
    expect(row.table).toBe(layout.name);
    const missing = row.columns.filter((column) => !(column in layout.columns));
    expect(missing).toEqual([]);
  }
  // Every tick column of the layout is written (a column nothing binds would stay null forever).
  expect([...tickRow.columns].sort()).toEqual(Object.keys(TICKS.columns).sort());
});
