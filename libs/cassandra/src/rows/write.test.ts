import { expect, test } from "bun:test";
import { sampleTick } from "@repo/contracts/fixtures";
import type { TableLayout } from "../layout/table.ts";
import { BARS_1M, LATEST_QUOTES, TICKS } from "../layout.ts";
import { barWriter } from "./bars.ts";
import { dataTypes, driverCodec } from "./driver-codec.test-helpers.ts";
import { latestQuoteWriter, type TickField, tickWriter } from "./ticks.ts";
import { type RowWriter, rowWriter } from "./write.ts";

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

/** The driver's type code of each CQL type a writer binds as pre-encoded bytes. */
const codes: Record<string, number> = {
  bigint: dataTypes.bigint,
  timestamp: dataTypes.timestamp,
  decimal: dataTypes.decimal,
  text: dataTypes.text,
};

/** Column name → bound value as text (bytes decoded by the driver as their column's layout type). */
function bound<T>(writer: RowWriter<T>, layout: TableLayout, record: T): Record<string, string> {
  const names = /\(([^)]*)\) VALUES/.exec(writer.insert)?.[1]?.split(", ") ?? [];
  expect(names).toEqual([...writer.columns]);
  const values = writer.values(record);
  expect(values).toHaveLength(names.length);
  return Object.fromEntries(
    names.map((name, i) => {
      const value = values[i];
      if (!Buffer.isBuffer(value)) return [name, String(value)];
      const code = codes[layout.columns[name] ?? ""];
      if (code === undefined) throw new Error(`${name} is bound as bytes of an unexpected type`);
      return [name, String(driverCodec.decode(value, { code }))];
    }),
  );
}

/**
 * The columns each field of `tick` binds in `ticks`, keyed by the tick fields: a new field fails to
 * compile here until its expected column(s) are written down.
 */
const expectedTickColumns: { [K in TickField]-?: Record<string, string> } = {
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

test("a tick row binds every column of ticks by name; absent optionals are unset, not null", () => {
  expect(bound(tickWriter, TICKS, tick)).toEqual(
    Object.assign({}, ...Object.values(expectedTickColumns)),
  );
  expect([...tickWriter.columns].sort()).toEqual(Object.keys(TICKS.columns).sort());
  expect(tickWriter.insert).toEndWith("?)");
});

test("a cancel binds cancelled = true; a standing tick leaves the column unset, so a replayed trade cannot undo a cancel", () => {
  const trade = sampleTick();
  expect(bound(tickWriter, TICKS, { ...trade, cancelled: true }).cancelled).toBe("true");
  expect(bound(tickWriter, TICKS, trade).cancelled).toBe("undefined");
});

test("the latest quote binds absent optionals as nulls, every column but cancelled, then leaves the write timestamp to its caller", () => {
  const values = bound(latestQuoteWriter, LATEST_QUOTES, tick);
  expect(values).toMatchObject({ ask: "null", ask_size: "null", exchange: "null", bid: "187.24" });
  const { cancelled: _, ...columns } = LATEST_QUOTES.columns;
  expect([...latestQuoteWriter.columns].sort()).toEqual(Object.keys(columns).sort());
  expect(latestQuoteWriter.insert).toEndWith(
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?",
  );
});

test("a bar row binds every column of bars_1m by name, updated_at the time of the write", () => {
  const before = Date.now();
  const values = bound(barWriter, BARS_1M, {
    symbol: "AAPL",
    start: 1_767_623_400_000_000,
    open: "187.250000",
    high: "188",
    low: "-1.5",
    close: "187.123456",
    volume: 9_007_199_254_740_991,
    vwap: "187.1",
    trades: 3,
  });
  const { updated_at, ...rest } = values;
  expect(rest).toEqual({
    symbol: "AAPL",
    day: "2026-01-05",
    minute: new Date(1_767_623_400_000).toString(),
    open: "187.250000",
    high: "188",
    low: "-1.5",
    close: "187.123456",
    volume: "9007199254740991",
    vwap: "187.1",
    trades: "3",
  });
  expect(Date.parse(updated_at ?? "")).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  expect([...barWriter.columns].sort()).toEqual(Object.keys(BARS_1M.columns).sort());
  expect(barWriter.insert).toEndWith("USING TIMESTAMP ?");
});

test("a writer binds its declared columns in order; a column its table does not have does not compile", () => {
  const writer = rowWriter(BARS_1M, {
    minute: (n: number) => new Date(n),
    symbol: () => "AAPL",
  });
  expect(writer.insert).toBe("INSERT INTO bars_1m (minute, symbol) VALUES (?, ?)");
  expect(writer.values(5)).toEqual([new Date(5), "AAPL"]);
  // @ts-expect-error: bars_1m has no column `minutes`
  expect(rowWriter(BARS_1M, { minutes: () => 1 }).columns).toEqual(["minutes"]);
});
