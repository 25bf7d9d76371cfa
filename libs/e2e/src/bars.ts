/**
 * An independent oracle for 1-minute bars: recomputes OHLCV + VWAP from stored TRADE ticks with exact
 * decimal arithmetic (BigInt, 6 decimal places), so the test does not trust the consumer's own code.
 */
export interface StoredTrade {
  symbol: string;
  eventTimeUs: bigint;
  sequence: bigint;
  source: string;
  price: string;
  size: bigint;
}

export interface ExpectedBar {
  symbol: string;
  minuteMs: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: bigint;
  vwap: string;
  trades: bigint;
}

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

/** The largest (sign 1n) or smallest (sign -1n) of non-empty bigints; Math.max does not take bigint. */
function extreme(values: bigint[], sign: 1n | -1n): bigint {
  let best = values[0] ?? 0n;
  for (const value of values) if ((value - best) * sign > 0n) best = value;
  return best;
}

/** numerator / denominator rounded half to even. */
function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  const twice = remainder * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n !== 0n)) return quotient + 1n;
  return quotient;
}

export function expectedBars(trades: StoredTrade[]): Map<string, ExpectedBar> {
  const byMinute = new Map<string, StoredTrade[]>();
  for (const trade of trades) {
    const minuteMs = Number((trade.eventTimeUs / 60_000_000n) * 60_000n);
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
