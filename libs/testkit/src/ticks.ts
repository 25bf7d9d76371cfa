import type { Tick } from "@repo/contracts";
import { exampleTick } from "@repo/contracts/examples";

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
