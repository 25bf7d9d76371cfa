import { expect, test } from "bun:test";
import { expectedBars, fromMicros, toMicros } from "./bars.ts";

test("decimal micro-units round-trip exactly", () => {
  for (const value of ["0.000001", "123456789012.123456", "187.25", "5", "-3.5"]) {
    expect(fromMicros(toMicros(value))).toBe(value);
  }
});

test("the oracle builds OHLCV and a half-even VWAP per symbol and minute", () => {
  const minute = 1_795_703_400_000_000n; // a whole minute in µs
  const bars = expectedBars([
    {
      symbol: "AAPL",
      eventTimeUs: minute + 3n,
      sequence: 2n,
      source: "s",
      price: "10.5",
      size: 1n,
    },
    { symbol: "AAPL", eventTimeUs: minute + 1n, sequence: 1n, source: "s", price: "10", size: 2n },
    {
      symbol: "AAPL",
      eventTimeUs: minute + 9n,
      sequence: 3n,
      source: "s",
      price: "9.000001",
      size: 1n,
    },
    {
      symbol: "AAPL",
      eventTimeUs: minute + 60_000_000n,
      sequence: 4n,
      source: "s",
      price: "11",
      size: 5n,
    },
  ]);
  expect(bars.size).toBe(2);
  const first = bars.get(`AAPL|${Number(minute / 1000n)}`);
  expect(first).toMatchObject({
    open: "10",
    high: "10.5",
    low: "9.000001",
    close: "9.000001",
    volume: 4n,
    trades: 3n,
  });
  // (20 + 10.5 + 9.000001) / 4 = 9.87500025 → 9.875000 (half-even on the 7th digit 2 → down)
  expect(first?.vwap).toBe("9.875");
});

test("the oracle leaves cancelled trades out; a minute of only cancelled trades has no bar", () => {
  const minute = 1_795_703_400_000_000n;
  const trade = (sequence: bigint, price: string, cancelled = false, at = minute) => ({
    symbol: "AAPL",
    eventTimeUs: at + sequence,
    sequence,
    source: "s",
    price,
    size: 1n,
    cancelled,
  });
  const bars = expectedBars([
    trade(1n, "10"),
    trade(2n, "99", true),
    trade(3n, "11"),
    trade(4n, "5", true, minute + 60_000_000n),
  ]);
  expect([...bars.keys()]).toEqual([`AAPL|${Number(minute / 1000n)}`]);
  expect(bars.get(`AAPL|${Number(minute / 1000n)}`)).toMatchObject({
    high: "11",
    close: "11",
    volume: 2n,
    trades: 2n,
  });
});
