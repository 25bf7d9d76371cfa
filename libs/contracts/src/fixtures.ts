/**
 * `@repo/contracts/fixtures`: the builders every test makes records with, one per record
 * (`@repo/testkit` re-exports them). Each starts from a valid record and takes overrides, so a test
 * states only what it is about; optional Tick fields come from the schema's defaults through
 * {@link exampleTick}, so adding one needs no edit here.
 */
import { exampleTick } from "./examples.ts";
import type { Bar } from "./generated/Bar.ts";
import type { Tick } from "./generated/Tick.ts";

/**
 * A whole hour one to two hours ago, in µs, fixed for the test process: recent enough for bars
 * and lateness rules, in the past so the contract's bound (no time later than now + 60 s) holds,
 * and the same in every call so two sample ticks of one test compare equal.
 */
export const SAMPLE_HOUR_US = (Math.floor(Date.now() / 3_600_000) - 1) * 3_600_000_000;

/**
 * A valid TRADE tick (the contract's `exampleTick`: AAPL, 187.25 × 10 on XNAS, optional fields at
 * their defaults) dated in the recent past; override what the test is about.
 *
 * @example
 *   const quote = sampleTick({ kind: "QUOTE", size: 0, bid: "187.24", ask: "187.26" });
 */
export function sampleTick(overrides: Partial<Tick> = {}): Tick {
  return {
    ...exampleTick,
    eventTime: SAMPLE_HOUR_US + 123_456,
    ingestTime: SAMPLE_HOUR_US + 200_000,
    ...overrides,
  };
}

/**
 * {@link sampleTick} at the edges of the contract, at a fixed time (2026-11-25T14:30:00.123456Z):
 * a 12-digit price with 6 decimals, a 6-decimal bid, a lone ask size. For tests of the encodings
 * (JSON, Avro, validation), whose expected values are written out.
 *
 * @example
 *   expect(tickToJson(edgeTick()).price).toBe("123456789012.123456");
 */
export function edgeTick(overrides: Partial<Tick> = {}): Tick {
  return sampleTick({
    eventTime: 1_795_617_000_123_456,
    sequence: 42,
    price: "123456789012.123456",
    size: 100,
    bid: "0.000001",
    askSize: 300,
    ingestTime: 1_795_617_000_200_001,
    ...overrides,
  });
}

/**
 * A valid one-minute bar (BRK.B, 2026-11-25T14:30Z, a 6-decimal low and VWAP); override what the
 * test is about.
 *
 * @example
 *   const empty = sampleBar({ volume: 0, trades: 0 });
 */
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
