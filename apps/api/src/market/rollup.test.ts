import { describe, expect, test } from "bun:test";
import { rollup, type StoredBar } from "./rollup.ts";
import { MINUTE_US } from "./time.ts";

const T0 = Date.UTC(2026, 0, 5, 14, 30) * 1000;
const bar = (minute: number, fields: Partial<StoredBar>): StoredBar => ({
  start: T0 + minute * MINUTE_US,
  open: "10",
  high: "10",
  low: "10",
  close: "10",
  volume: 1n,
  vwap: "10",
  trades: 1n,
  ...fields,
});

describe("rollup of 1-minute bars", () => {
  test("takes the first open, last close, extreme high/low and sums volume and trades", () => {
    const minutes = [
      bar(2, {
        open: "12",
        high: "15",
        low: "11",
        close: "14",
        volume: 30n,
        vwap: "13",
        trades: 3n,
      }),
      bar(0, {
        open: "10",
        high: "12",
        low: "9.5",
        close: "11",
        volume: 10n,
        vwap: "11",
        trades: 2n,
      }),
      bar(4, {
        open: "14",
        high: "14.5",
        low: "8.25",
        close: "9",
        volume: 60n,
        vwap: "10",
        trades: 5n,
      }),
    ];
    // VWAP = (11·10 + 13·30 + 10·60) / 100 = 11
    expect(rollup(minutes, 5 * MINUTE_US)).toEqual([
      {
        start: T0,
        open: "10",
        high: "15",
        low: "8.25",
        close: "9",
        volume: 100n,
        vwap: "11",
        trades: 10n,
      },
    ]);
  });

  test("splits minutes into buckets aligned to the UTC epoch, oldest first", () => {
    const minutes = [
      bar(-1, { close: "1" }),
      bar(0, { close: "2" }),
      bar(14, { close: "3" }),
      bar(15, { close: "4" }),
    ];
    expect(rollup(minutes, 15 * MINUTE_US).map((b) => [b.start, b.close])).toEqual([
      [T0 - 15 * MINUTE_US, "1"],
      [T0, "3"],
      [T0 + 15 * MINUTE_US, "4"],
    ]);
  });

  test("VWAP is exact and rounds half to even at the 6th decimal", () => {
    // (0.000001·1 + 0.000002·1) / 2 = 0.0000015 → 0.000002 (half to even: 1.5 → 2)
    const up = rollup([bar(0, { vwap: "0.000001" }), bar(1, { vwap: "0.000002" })], 5 * MINUTE_US);
    expect(up[0]?.vwap).toBe("0.000002");
    // (0.000002 + 0.000003) / 2 = 0.0000025 → 0.000002 (2.5 → 2)
    const down = rollup(
      [bar(0, { vwap: "0.000002" }), bar(1, { vwap: "0.000003" })],
      5 * MINUTE_US,
    );
    expect(down[0]?.vwap).toBe("0.000002");
    // prices at full precision and volumes far beyond 2^53 when multiplied
    const big = rollup(
      [
        bar(0, { vwap: "999999999999.999999", volume: 1_000_000_000n }),
        bar(1, { vwap: "0.000001", volume: 2n }),
      ],
      5 * MINUTE_US,
    );
    expect(big[0]?.vwap).toBe("999999998000.000003");
  });

  test("a bucket without volume takes its close as VWAP", () => {
    expect(rollup([bar(0, { volume: 0n, close: "12.5" })], 5 * MINUTE_US)[0]?.vwap).toBe("12.5");
  });
});
