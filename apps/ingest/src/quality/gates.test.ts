import { describe, expect, test } from "bun:test";
import type { Tick } from "@repo/contracts";
import { createQualityGates, type RejectReason } from "./gates.ts";

const NOW = 1_767_623_400_000_000;
const gates = () =>
  createQualityGates({
    maxFutureMs: 5_000,
    maxStalenessMs: 60_000,
    maxPriceJump: 0.1,
    dedupeWindow: 1_000,
  });

let sequence = 0;
const trade = (overrides: Partial<Record<keyof Tick, unknown>> = {}) => ({
  source: "alpaca",
  symbol: "AAPL",
  kind: "TRADE",
  eventTime: NOW - 1_000,
  sequence: ++sequence,
  price: "187.25",
  size: 100,
  bid: null,
  ask: null,
  bidSize: null,
  askSize: null,
  exchange: "V",
  ingestTime: NOW,
  ...overrides,
});

/** Runs good, bad, good through fresh gates: the bad one is refused with `reason`, both neighbours pass. */
function expectRejected(bad: unknown, reason: RejectReason, detail?: RegExp) {
  const checker = gates();
  const before = checker.check(trade(), NOW);
  const verdict = checker.check(bad, NOW);
  const after = checker.check(trade({ price: "187.3" }), NOW);
  expect(before.ok).toBe(true);
  expect(verdict).toMatchObject({ ok: false, reason });
  if (detail && !verdict.ok) expect(verdict.detail).toMatch(detail);
  expect(after.ok).toBe(true);
}

describe("quality gates", () => {
  test("schema_invalid: a tick the contract refuses (lower-case symbol, missing size)", () => {
    expectRejected(trade({ symbol: "aapl" }), "schema_invalid", /symbol/);
    expectRejected({ ...trade(), size: undefined }, "schema_invalid", /size: is required/);
    expectRejected("not a tick", "schema_invalid");
  });

  test("non_positive_price: zero, negative and non-finite prices", () => {
    expectRejected(trade({ price: "0" }), "non_positive_price", /price must be positive/);
    expectRejected(trade({ price: "-1.5" }), "non_positive_price");
    expectRejected(trade({ price: "NaN" }), "non_positive_price", /not finite/);
    expectRejected(trade({ price: Number.POSITIVE_INFINITY }), "non_positive_price", /not finite/);
    expectRejected(
      trade({ kind: "QUOTE", bid: "0", ask: "187.3", size: 0 }),
      "non_positive_price",
      /bid/,
    );
  });

  test("crossed_quote: bid above ask (a locked quote passes)", () => {
    const quote = { kind: "QUOTE", size: 0, bidSize: 100, askSize: 200 };
    expectRejected(
      trade({ ...quote, bid: "187.30", ask: "187.20" }),
      "crossed_quote",
      /bid 187.30 > ask 187.20/,
    );
    expect(gates().check(trade({ ...quote, bid: "187.25", ask: "187.25" }), NOW).ok).toBe(true);
  });

  test("future_timestamp and stale_timestamp against the configured bounds", () => {
    expectRejected(trade({ eventTime: NOW + 6_000_000 }), "future_timestamp");
    expectRejected(trade({ eventTime: NOW - 61_000_000 }), "stale_timestamp");
    expect(gates().check(trade({ eventTime: NOW + 4_000_000 }), NOW).ok).toBe(true);
  });

  test("duplicate: the same identity twice is refused the second time", () => {
    const checker = gates();
    const tick = trade();
    expect(checker.check(tick, NOW).ok).toBe(true);
    expect(checker.check({ ...tick }, NOW)).toMatchObject({ ok: false, reason: "duplicate" });
    expect(checker.check(trade({ price: "187.26" }), NOW).ok).toBe(true);
  });

  test("price_jump: beyond the threshold against the last accepted price, per symbol", () => {
    expectRejected(trade({ price: "210" }), "price_jump", /187.25 → 210/);
    const checker = gates();
    expect(checker.check(trade({ price: "100" }), NOW).ok).toBe(true);
    expect(checker.check(trade({ symbol: "MSFT", price: "400" }), NOW).ok).toBe(true);
    expect(checker.check(trade({ price: "109.99" }), NOW).ok).toBe(true);
  });

  test("a rejected tick does not move the reference price", () => {
    const checker = gates();
    expect(checker.check(trade({ price: "100" }), NOW).ok).toBe(true);
    expect(checker.check(trade({ price: "150" }), NOW).ok).toBe(false);
    expect(checker.check(trade({ price: "105" }), NOW).ok).toBe(true);
  });
});
