import { expect, test } from "bun:test";
import cassandra from "cassandra-driver";
import { BARS_1M, LATEST_QUOTES, TICKS } from "../layout.ts";
import { BAR_ROW_COLUMNS, BAR_VALUE_COLUMNS, barRowOf, barValuesOf } from "./bars.ts";
import { type RowLike, textDecimalList } from "./row.ts";
import { tickReader } from "./ticks.ts";

const { BigDecimal, Long } = cassandra.types;

/** A row holding `cells` (as the driver decodes them) that records what is read and refuses the rest. */
function rowOf(cells: Record<string, unknown>): RowLike & { read: Set<string> } {
  const read = new Set<string>();
  return {
    read,
    get(column) {
      if (!(column in cells)) throw new Error(`column ${column} was not selected`);
      read.add(column);
      return cells[column];
    },
  };
}

const minute = Date.UTC(2026, 0, 5, 15, 30);
const barCells = () => ({
  minute: new Date(minute),
  open: BigDecimal.fromString("187.250000"),
  high: BigDecimal.fromString("188.5"),
  low: BigDecimal.fromString("186.000001"),
  close: BigDecimal.fromString("187"),
  volume: Long.fromString("9007199254740993"),
  vwap: BigDecimal.fromString("187.123456"),
  trades: Long.fromNumber(42),
});
const canonical = (stored: unknown) => String(stored).replace(/\.?0+$/, "");

test("a bars_1m row maps each column to its field, decimals through the reader's conversion", () => {
  const row = rowOf(barCells());
  expect(barRowOf(row, canonical)).toEqual({
    start: minute * 1000,
    open: "187.25",
    high: "188.5",
    low: "186.000001",
    close: "187",
    volume: 9_007_199_254_740_993n,
    vwap: "187.123456",
    trades: 42n,
  });
  expect([...row.read].sort()).toEqual([...BAR_ROW_COLUMNS].sort());
  expect(columnsOf(BAR_ROW_COLUMNS.join(", "), BARS_1M.columns)).toEqual([...BAR_ROW_COLUMNS]);
});

test("bar values read only the value columns, and text-selected decimals convert the same way", () => {
  const { minute: _, ...values } = barCells();
  const row = rowOf(values);
  const micros = (stored: unknown) => BigInt(Math.round(Number(String(stored)) * 1e6));
  const text = Object.fromEntries(
    Object.entries(values).map(([column, value]) => [
      column,
      BARS_1M.columns[column as keyof typeof BARS_1M.columns] === "decimal" ? String(value) : value,
    ]),
  );
  expect(barValuesOf(row, String)).toEqual(barValuesOf(rowOf(text), String));
  expect(barValuesOf(row, String).open).toBe("187.250000");
  expect(barValuesOf(rowOf(text), micros).vwap).toBe(187_123_456n);
  expect([...row.read].sort()).toEqual([...BAR_VALUE_COLUMNS].sort());
  expect(textDecimalList(BARS_1M, ["minute", "open", "volume"])).toBe(
    "minute, CAST(open AS text) AS open, volume",
  );
});

const quoteCells = () => ({
  source: "alpaca",
  symbol: "AAPL",
  kind: "QUOTE",
  event_time_us: Long.fromString("1767627000000001"),
  sequence: Long.fromNumber(7),
  price: BigDecimal.fromString("187.250000"),
  size: Long.fromNumber(0),
  bid: BigDecimal.fromString("187.24"),
  ask: BigDecimal.fromString("187.26"),
  bid_size: Long.fromNumber(300),
  ask_size: Long.fromNumber(200),
  exchange: "XNAS",
  ingest_time_us: Long.fromString("1767627000000900"),
  cancelled: null,
});

test("a tick row maps every column to its Tick field; the reader selects exactly what it reads", () => {
  const ticks = tickReader(canonical);
  const row = rowOf(quoteCells());
  expect(ticks.read(row)).toEqual({
    source: "alpaca",
    symbol: "AAPL",
    kind: "QUOTE",
    eventTime: 1_767_627_000_000_001,
    sequence: 7,
    price: "187.25",
    size: 0,
    bid: "187.24",
    ask: "187.26",
    bidSize: 300,
    askSize: 200,
    exchange: "XNAS",
    ingestTime: 1_767_627_000_000_900,
    cancelled: false,
  });
  expect([...row.read].sort()).toEqual(Object.keys(quoteCells()).sort());
  expect(columnsOf(ticks.columns, TICKS.columns)).toEqual(
    columnsOf(ticks.columns, LATEST_QUOTES.columns),
  );
  expect(columnsOf(ticks.columns, TICKS.columns).sort()).toEqual(Object.keys(quoteCells()).sort());
});

test("unset optional tick columns read as null (ingest time 0, not cancelled); decimals never see null", () => {
  const seen: unknown[] = [];
  const ticks = tickReader((stored) => {
    seen.push(stored);
    return String(stored);
  });
  const trade = {
    ...quoteCells(),
    kind: "TRADE",
    size: Long.fromNumber(100),
    bid: null,
    ask: undefined,
    bid_size: null,
    ask_size: undefined,
    exchange: null,
    ingest_time_us: null,
    cancelled: true,
  };
  expect(ticks.read(rowOf(trade))).toMatchObject({
    kind: "TRADE",
    size: 100,
    bid: null,
    ask: null,
    bidSize: null,
    askSize: null,
    exchange: null,
    ingestTime: 0,
    cancelled: true,
  });
  expect(seen).toEqual([trade.price]);
});

test("a reader of some tick fields selects and returns only those", () => {
  const trades = tickReader(String, ["symbol", "eventTime", "price", "cancelled"]);
  expect(trades.columns).toBe("symbol, event_time_us, price, cancelled");
  expect(trades.textColumns).toBe("symbol, event_time_us, CAST(price AS text) AS price, cancelled");
  const row = rowOf({
    symbol: "MSFT",
    event_time_us: Long.fromNumber(5),
    price: BigDecimal.fromString("1.5"),
    cancelled: null,
  });
  expect(trades.read(row)).toEqual({
    symbol: "MSFT",
    eventTime: 5,
    price: "1.5",
    cancelled: false,
  });
});

/** The names of a column list, each checked to be a column of `columns`. */
function columnsOf(list: string, columns: Record<string, unknown>): string[] {
  const names = list.split(", ");
  for (const name of names) expect(columns).toHaveProperty(name);
  return names;
}
