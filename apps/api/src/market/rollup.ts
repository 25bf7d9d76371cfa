import type { StoredMinuteBar } from "@repo/cassandra";
import { divideHalfEven, formatDecimal, parseDecimal } from "@repo/contracts";

/**
 * A 1-minute bar as stored in `bars_1m` (`@repo/cassandra`'s row mapping), or a rollup of them.
 * Decimals are canonical strings.
 */
export type StoredBar = StoredMinuteBar<string>;

/**
 * Rolls 1-minute bars (any order) up into bars of `intervalUs` aligned to the UTC epoch, exactly:
 * open of the first minute, close of the last, highest high, lowest low, summed volume and trades,
 * VWAP = Σ(vwap·volume) / Σvolume in integer micro-units rounded half to even to 6 decimals (the
 * close when no volume traded). Buckets come out oldest first; minutes with no bar add nothing.
 *
 * @example
 *   rollup(minuteBars, 5 * 60_000_000); // 5-minute bars
 */
export function rollup(bars: StoredBar[], intervalUs: number): StoredBar[] {
  const ordered = [...bars].sort((a, b) => a.start - b.start);
  const buckets = new Map<number, StoredBar[]>();
  for (const bar of ordered) {
    const start = Math.floor(bar.start / intervalUs) * intervalUs;
    const bucket = buckets.get(start);
    if (bucket) bucket.push(bar);
    else buckets.set(start, [bar]);
  }
  return [...buckets].map(([start, minutes]) => combine(start, minutes));
}

function combine(start: number, minutes: StoredBar[]): StoredBar {
  const first = minutes[0] as StoredBar;
  const last = minutes[minutes.length - 1] as StoredBar;
  let high = unscaled(first.high);
  let low = unscaled(first.low);
  let volume = 0n;
  let trades = 0n;
  let notional = 0n;
  for (const bar of minutes) {
    const barHigh = unscaled(bar.high);
    const barLow = unscaled(bar.low);
    if (barHigh > high) high = barHigh;
    if (barLow < low) low = barLow;
    volume += bar.volume;
    trades += bar.trades;
    notional += unscaled(bar.vwap) * bar.volume;
  }
  return {
    start,
    open: first.open,
    high: formatDecimal(high),
    low: formatDecimal(low),
    close: last.close,
    volume,
    vwap: volume > 0n ? formatDecimal(divideHalfEven(notional, volume)) : last.close,
    trades,
  };
}

function unscaled(decimal: string): bigint {
  const parsed = parseDecimal(decimal);
  if (!parsed.ok)
    throw new Error(`stored decimal ${decimal} is not a decimal(18,6): ${parsed.message}`);
  return parsed.unscaled;
}
