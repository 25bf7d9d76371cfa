import type { Bar } from "./generated/Bar.ts";
import type { Tick } from "./generated/Tick.ts";

/** A valid trade tick for tests. */
export function sampleTick(overrides: Partial<Tick> = {}): Tick {
  return {
    source: "simulator",
    symbol: "AAPL",
    kind: "TRADE",
    eventTime: 1_795_617_000_123_456,
    sequence: 42,
    price: "123456789012.123456",
    size: 100,
    bid: "0.000001",
    ask: null,
    bidSize: null,
    askSize: 300,
    exchange: "XNAS",
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
