import { type Bar, divideHalfEven, formatDecimal, parseDecimal } from "@repo/contracts";

export const MINUTE_US = 60_000_000;
const DAY_MS = 86_400_000;

/** A trade as stored in the ticks table: the inputs of a bar. */
export interface Trade {
  source: string;
  sequence: number;
  eventTime: number;
  /** Decimal string, e.g. "187.25". */
  price: string;
  size: number;
}

/** Start of the UTC minute containing `micros`. */
export const minuteStart = (micros: number) => Math.floor(micros / MINUTE_US) * MINUTE_US;

const dayNames = new Map<number, string>();

/** The UTC day (`YYYY-MM-DD`) containing `micros`: the time bucket of ticks and bars partitions. */
export function dayOf(micros: number): string {
  const day = Math.floor(micros / 1000 / DAY_MS);
  let name = dayNames.get(day);
  if (name === undefined) {
    name = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dayNames.size > 10_000) dayNames.clear();
    dayNames.set(day, name);
  }
  return name;
}

/**
 * The 1-minute OHLCV + VWAP bar of `trades` (all within one minute of one symbol), or undefined
 * when there are none. Deterministic whatever the input order: trades are ordered by event time,
 * then sequence, then source. VWAP = Σ(price·size) / Σsize, rounded half-even to 6 decimals.
 *
 * @example
 *   computeBar("AAPL", minuteStart(t), trades); // { symbol: "AAPL", open: "187.25", … }
 */
export function computeBar(symbol: string, start: number, trades: Trade[]): Bar | undefined {
  const aggregate = new MinuteAggregate(symbol, start);
  for (const trade of trades) aggregate.add(trade);
  return aggregate.bar();
}

interface TradeCell {
  source: string;
  sequence: number;
  eventTime: number;
  /** Unscaled decimal(18,6). */
  price: bigint;
  size: bigint;
}

const before = (a: TradeCell, b: TradeCell) =>
  a.eventTime !== b.eventTime
    ? a.eventTime < b.eventTime
    : a.sequence !== b.sequence
      ? a.sequence < b.sequence
      : a.source < b.source;

/**
 * One symbol-minute's bar, maintained as trades arrive: O(1) per new trade, so a busy minute is
 * never re-read or re-sorted. Trades are keyed by identity, so a replayed trade counts once; one
 * that comes back with other values replaces the old (as the ticks table does) and the aggregate is
 * rebuilt from its trades. Its bar equals {@link computeBar} of the same distinct trades.
 *
 * @example
 *   const minute = new MinuteAggregate("AAPL", start);
 *   minute.add(trade);
 *   minute.bar(); // { open, high, low, close, volume, vwap, trades, … }
 */
export class MinuteAggregate {
  private readonly trades = new Map<string, TradeCell>();
  private volume = 0n;
  private notional = 0n;
  private high = -1n;
  private low = -1n;
  private first: TradeCell | undefined;
  private last: TradeCell | undefined;
  private stale = false;

  constructor(
    readonly symbol: string,
    readonly start: number,
  ) {}

  get size(): number {
    return this.trades.size;
  }

  add(trade: Trade): void {
    const key = `${trade.source}\u0000${trade.sequence}\u0000${trade.eventTime}`;
    const cell: TradeCell = {
      source: trade.source,
      sequence: trade.sequence,
      eventTime: trade.eventTime,
      price: unscaled(trade.price),
      size: BigInt(trade.size),
    };
    const previous = this.trades.get(key);
    this.trades.set(key, cell);
    if (!previous) this.fold(cell);
    else if (previous.price !== cell.price || previous.size !== cell.size) this.stale = true;
  }

  bar(): Bar | undefined {
    if (this.stale) this.rebuild();
    const { first, last } = this;
    if (!first || !last) return undefined;
    return {
      symbol: this.symbol,
      start: this.start,
      end: this.start + MINUTE_US,
      open: formatDecimal(first.price),
      high: formatDecimal(this.high),
      low: formatDecimal(this.low),
      close: formatDecimal(last.price),
      volume: Number(this.volume),
      vwap: formatDecimal(
        this.volume > 0n ? divideHalfEven(this.notional, this.volume) : last.price,
      ),
      trades: this.trades.size,
    };
  }

  private fold(cell: TradeCell) {
    if (this.high < 0n || cell.price > this.high) this.high = cell.price;
    if (this.low < 0n || cell.price < this.low) this.low = cell.price;
    this.volume += cell.size;
    this.notional += cell.price * cell.size;
    if (!this.first || before(cell, this.first)) this.first = cell;
    if (!this.last || before(this.last, cell)) this.last = cell;
  }

  private rebuild() {
    this.volume = 0n;
    this.notional = 0n;
    this.high = -1n;
    this.low = -1n;
    this.first = undefined;
    this.last = undefined;
    for (const cell of this.trades.values()) this.fold(cell);
    this.stale = false;
  }
}

function unscaled(price: string): bigint {
  const parsed = parseDecimal(price, 6, 18, true);
  if (!parsed.ok)
    throw new Error(`stored price ${price} is not a decimal(18,6): ${parsed.message}`);
  return parsed.unscaled;
}
