/**
 * The one independent checker of 1-minute bars: recomputes OHLCV and VWAP from stored TRADE ticks
 * that are not cancelled (a cancelled trade is in `ticks`, marked, and in no bar)
 * with exact decimal arithmetic (BigInt micro-units, VWAP rounded half to even at 6 places), so a
 * test never trusts the consumer's own aggregation code. Bars are keyed `symbol|minuteStartMs`.
 */
import {
  BAR_ROW_COLUMNS,
  BARS_1M,
  barRowOf,
  barValuesOf,
  columnList,
  MINUTE_MS,
  MINUTE_US,
  type BarValues as StoredBarValues,
  TICKS,
  tickReader,
} from "@repo/cassandra";
import type cassandra from "cassandra-driver";

export interface StoredTrade {
  symbol: string;
  eventTimeUs: bigint;
  sequence: bigint;
  source: string;
  price: string;
  size: bigint;
  /** The provider cancelled the trade: stored, but in no bar. */
  cancelled?: boolean;
}

/** A bar's values: decimals as text, counts as bigint. */
export type BarValues = StoredBarValues<string>;

export interface ExpectedBar extends BarValues {
  symbol: string;
  minuteMs: number;
}

/**
 * The values of a `bars_1m` row (selected with at least `BAR_VALUE_COLUMNS`), decimals as the
 * driver prints them.
 */
export const storedBarValues = (row: cassandra.types.Row): BarValues => barValuesOf(row, String);

const SCALE = 6;
const UNIT = 10n ** BigInt(SCALE);

/** "187.25" → 187250000n (micro-units). */
export function toMicros(decimal: string): bigint {
  const negative = decimal.startsWith("-");
  const [whole = "0", fraction = ""] = decimal.replace("-", "").split(".");
  if (fraction.length > SCALE) throw new Error(`more than ${SCALE} decimals: ${decimal}`);
  const value = BigInt(whole) * UNIT + BigInt(fraction.padEnd(SCALE, "0"));
  return negative ? -value : value;
}

/** 187250000n → "187.25" (canonical: no trailing zeros). */
export function fromMicros(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / UNIT;
  const fraction = (abs % UNIT).toString().padStart(SCALE, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/** Canonical decimal text (what contracts produce) from a Cassandra BigDecimal. */
export function canonical(value: { toString(): string } | null): string | null {
  if (value === null) return null;
  const text = value.toString();
  if (!text.includes(".")) return text;
  return text.replace(/0+$/, "").replace(/\.$/, "");
}

/** The largest (sign 1n) or smallest (sign -1n) of non-empty bigints; Math.max does not take bigint. */
function extreme(values: bigint[], sign: 1n | -1n): bigint {
  let best = values[0] ?? 0n;
  for (const value of values) if ((value - best) * sign > 0n) best = value;
  return best;
}

/** numerator / denominator rounded half to even. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  const twice = remainder * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n !== 0n)) return quotient + 1n;
  return quotient;
}

/**
 * The bars `trades` make, per symbol and minute: trades ordered by (event time, sequence, source).
 *
 * @example
 *   expectedBars(await storedTrades(db)).get(`AAPL|${minuteMs}`)?.vwap; // "187.250001"
 */
export function expectedBars(trades: StoredTrade[]): Map<string, ExpectedBar> {
  const byMinute = new Map<string, StoredTrade[]>();
  for (const trade of trades) {
    if (trade.cancelled) continue;
    const minuteMs = Number(trade.eventTimeUs / BigInt(MINUTE_US)) * MINUTE_MS;
    const key = `${trade.symbol}|${minuteMs}`;
    const list = byMinute.get(key) ?? [];
    list.push(trade);
    byMinute.set(key, list);
  }
  const bars = new Map<string, ExpectedBar>();
  for (const [key, list] of byMinute) {
    list.sort(
      (a, b) =>
        Number(a.eventTimeUs - b.eventTimeUs) ||
        Number(a.sequence - b.sequence) ||
        a.source.localeCompare(b.source),
    );
    const prices = list.map((t) => toMicros(t.price));
    const volume = list.reduce((sum, t) => sum + t.size, 0n);
    const notional = list.reduce((sum, t, i) => sum + (prices[i] ?? 0n) * t.size, 0n);
    const [symbol = "", minute = "0"] = key.split("|");
    bars.set(key, {
      symbol,
      minuteMs: Number(minute),
      open: fromMicros(prices[0] ?? 0n),
      close: fromMicros(prices.at(-1) ?? 0n),
      high: fromMicros(extreme(prices, 1n)),
      low: fromMicros(extreme(prices, -1n)),
      volume,
      vwap: fromMicros(divideHalfEven(notional, volume)),
      trades: BigInt(list.length),
    });
  }
  return bars;
}

const tradeRows = tickReader(String, [
  "symbol",
  "eventTime",
  "sequence",
  "source",
  "kind",
  "price",
  "size",
  "cancelled",
]);

/** The columns of `ticks` that {@link storedTradeOf} reads. */
export const STORED_TRADE_COLUMNS = tradeRows.columns;

/** A `ticks` row (selected with {@link STORED_TRADE_COLUMNS}) as the checker reads it. */
export function storedTradeOf(row: cassandra.types.Row): StoredTrade {
  const tick = tradeRows.read(row);
  return {
    symbol: tick.symbol,
    eventTimeUs: BigInt(tick.eventTime),
    sequence: BigInt(tick.sequence),
    source: tick.source,
    price: tick.price,
    size: BigInt(tick.size),
    cancelled: tick.cancelled,
  };
}

/** Every TRADE row of the `ticks` table (paged), as the checker reads them. */
export async function storedTrades(db: cassandra.Client): Promise<StoredTrade[]> {
  const found: StoredTrade[] = [];
  const rows = await db.execute(`SELECT ${STORED_TRADE_COLUMNS} FROM ${TICKS.name}`, [], {
    prepare: true,
    fetchSize: 5000,
    readTimeout: 30_000,
  });
  for await (const row of rows) if (row.get("kind") === "TRADE") found.push(storedTradeOf(row));
  return found;
}

/** A bar as compared in tests: [open, high, low, close, volume, vwap, trades], decimals canonical. */
export type BarRow = string[];

/**
 * Bars recomputed from the keyspace's stored TRADE ticks, in the shape of {@link storedBars}.
 *
 * @example
 *   expect(await storedBars(db)).toEqual(await barsFromStoredTicks(db));
 */
export async function barsFromStoredTicks(db: cassandra.Client): Promise<Map<string, BarRow>> {
  const bars = expectedBars(await storedTrades(db));
  return new Map([...bars].map(([key, bar]) => [key, barRowOfValues(bar)]));
}

const barRowOfValues = (bar: BarValues): BarRow => [
  bar.open,
  bar.high,
  bar.low,
  bar.close,
  bar.volume.toString(),
  bar.vwap,
  bar.trades.toString(),
];

const STORED_BAR_COLUMNS = columnList(BARS_1M, ["symbol", ...BAR_ROW_COLUMNS]);

/** The keyspace's `bars_1m` rows, in the shape of {@link barsFromStoredTicks}. */
export async function storedBars(db: cassandra.Client): Promise<Map<string, BarRow>> {
  const bars = new Map<string, BarRow>();
  const rows = await db.execute(`SELECT ${STORED_BAR_COLUMNS} FROM ${BARS_1M.name}`, [], {
    prepare: true,
    fetchSize: 5000,
    readTimeout: 30_000,
  });
  for await (const row of rows) {
    const bar = barRowOf(row, (stored) => canonical(stored as { toString(): string }) as string);
    bars.set(`${row.get("symbol")}|${bar.start / 1000}`, barRowOfValues(bar));
  }
  return bars;
}
