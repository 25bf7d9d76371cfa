import { exampleTick } from "./examples.ts";
import type { Bar } from "./generated/Bar.ts";
import type { Tick } from "./generated/Tick.ts";

/** The example tick at the edges of the contract: a 12-digit price, a 6-decimal bid, a lone ask size. */
export function sampleTick(overrides: Partial<Tick> = {}): Tick {
  return {
    ...exampleTick,
    eventTime: 1_795_617_000_123_456,
    sequence: 42,
    price: "123456789012.123456",
    size: 100,
    bid: "0.000001",
    askSize: 300,
    ingestTime: 1_795_617_000_200_001,
    ...overrides,
  };
}

/** A valid one-minute bar for tests. */
export function sampleBar(overrides: Partial<Bar> = {}): Bar {
  return {
    symbol: "BRK.B",
    start: 1_795_617_000_000_000,
    end: 1_795_617_060_000_000,
    open: "10.5",
    high: "11",
    low: "10.000001",
    close: "10.75",
    volume: 1200,
    vwap: "10.612345",
    trades: 7,
    ...overrides,
  };
}
