import { describe, expect, test } from "bun:test";
import { rollup as apiRollup } from "../../../api/src/market/rollup.ts";
import { formatMicros, parseMicros } from "../indicators/fixed.ts";
import { combine, INTERVALS, type MinuteBar } from "./rollup.ts";

describe("rollups", () => {
  test("equal the api's rollups of the same 1-minute bars, bucket by bucket", () => {
    const minutes: MinuteBar[] = [];
    let seed = 3;
    for (let i = 0; i < 200; i += 1) {
      if (i % 7 === 3) continue;
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const close = 50_000_000n + BigInt(seed % 2_000_000);
      minutes.push({
        start: 1_700_000_040_000_000 + i * INTERVALS["1m"],
        open: close - 3n,
        high: close + BigInt(seed % 777),
        low: close - BigInt(seed % 555),
        close,
        volume: BigInt(i % 11 === 0 ? 0 : seed % 5000),
        vwap: close + 1n,
        trades: BigInt(1 + (seed % 9)),
      });
    }
    for (const step of [INTERVALS["5m"], INTERVALS["15m"], INTERVALS["1h"]]) {
      const buckets = new Map<number, MinuteBar[]>();
      for (const bar of minutes) {
        const start = Math.floor(bar.start / step) * step;
        buckets.set(start, [...(buckets.get(start) ?? []), bar]);
      }
      const ours = [...buckets].map(([start, bars]) => combine(start, bars));
      const theirs = apiRollup(
        minutes.map((b) => ({
          start: b.start,
          open: formatMicros(b.open),
          high: formatMicros(b.high),
          low: formatMicros(b.low),
          close: formatMicros(b.close),
          volume: b.volume,
          vwap: formatMicros(b.vwap),
          trades: b.trades,
        })),
        step,
      );
      expect(
        ours.map((b) => ({
          ...b,
          open: formatMicros(b.open),
          high: formatMicros(b.high),
          low: formatMicros(b.low),
          close: formatMicros(b.close),
          vwap: formatMicros(b.vwap),
        })),
      ).toEqual(
        theirs.map((b) => ({
          ...b,
          open: formatMicros(parseMicros(b.open)),
          high: b.high,
          low: b.low,
          close: b.close,
          vwap: b.vwap,
        })),
      );
    }
  });
});
