import { type Bar, formatDecimal, parseDecimal } from "@repo/contracts";

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

/** The UTC day (`YYYY-MM-DD`) containing `micros`: the time bucket of ticks and bars partitions. */
export const dayOf = (micros: number) =>
  new Date(Math.floor(micros / 1000 / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

/**
 * The 1-minute OHLCV + VWAP bar of `trades` (all within one minute of one symbol), or undefined
 * when there are none. Deterministic whatever the input order: trades are ordered by event time,
 * then sequence, then source. VWAP = Σ(price·size) / Σsize, rounded half-even to 6 decimals.
 *
 * @example
 *   computeBar("AAPL", minuteStart(t), trades); // { symbol: "AAPL", open: "187.25", … }
 */
export function computeBar(symbol: string, start: number, trades: Trade[]): Bar | undefined {
  if (trades.length === 0) return undefined;
  const ordered = [...trades].sort(
    (a, b) =>
      a.eventTime - b.eventTime ||
      a.sequence - b.sequence ||
      (a.source < b.source ? -1 : a.source > b.source ? 1 : 0),
  );
  let high = -1n;
  let low = -1n;
  let volume = 0n;
  let notional = 0n;
  const prices = ordered.map((trade) => unscaled(trade.price));
  ordered.forEach((trade, i) => {
    const price = prices[i] as bigint;
    if (high < 0n || price > high) high = price;
    if (low < 0n || price < low) low = price;
    volume += BigInt(trade.size);
    notional += price * BigInt(trade.size);
  });
  const close = prices[prices.length - 1] as bigint;
  return {
    symbol,
    start,
    end: start + MINUTE_US,
    open: formatDecimal(prices[0] as bigint),
    high: formatDecimal(high),
    low: formatDecimal(low),
    close: formatDecimal(close),
    volume: Number(volume),
    vwap: formatDecimal(volume > 0n ? divideHalfEven(notional, volume) : close),
    trades: ordered.length,
  };
}

/** `numerator / denominator` for non-negative integers, rounded half to even. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const twice = (numerator % denominator) * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

function unscaled(price: string): bigint {
  const parsed = parseDecimal(price, 6, 18, true);
  if (!parsed.ok)
    throw new Error(`stored price ${price} is not a decimal(18,6): ${parsed.message}`);
  return parsed.unscaled;
}
