/**
 * `@repo/contracts/examples`: one valid tick, the base every test tick is built from (testkit's `sampleTick`, the contract's own fixtures, benchmarks). Optional fields
 * come from the schema's defaults, so adding one to `schemas/Tick.avsc` needs no edit here; set
 * a value in a test's overrides when the test is about that field.
 */
import { type Tick, tickDefaults } from "./generated/Tick.ts";

/** 2026-01-05T14:30:00.123456Z, a Monday in regular trading hours. */
const EXAMPLE_TIME_US = Date.UTC(2026, 0, 5, 14, 30) * 1000 + 123_456;

/** A trade: AAPL, 187.25 × 10 on XNAS, no quote fields. */
export const exampleTick: Readonly<Tick> = Object.freeze<Tick>({
  ...tickDefaults,
  source: "simulator",
  symbol: "AAPL",
  kind: "TRADE",
  eventTime: EXAMPLE_TIME_US,
  sequence: 1,
  price: "187.25",
  size: 10,
  exchange: "XNAS",
  ingestTime: EXAMPLE_TIME_US + 76_544,
});
