import { describe, expect, test } from "bun:test";
import type { Tick } from "@repo/contracts";
import { createStats } from "@repo/platform/stats";
import { sampleTick } from "@repo/testkit";
import { createTickBuffer } from "../forward/buffer.ts";
import { createIngest } from "../ingest.ts";
import type { Provider } from "../providers/provider.ts";
import { captureLog } from "../testing/capture-log.ts";
import { createQualityGates, type RejectReason } from "./gates.ts";

const NOW = 1_767_623_400_000_000;
const gates = (
  overrides: {
    reanchorTicks?: number;
    reanchorAfterMs?: number;
    feedDelayMs?: Record<string, number>;
  } = {},
) =>
  createQualityGates({
    maxFutureMs: 5_000,
    maxStalenessMs: 60_000,
    maxPriceJump: 0.1,
    reanchorTicks: 3,
    reanchorAfterMs: 30_000,
    dedupeWindow: 1_000,
    ...overrides,
  });

let sequence = 0;
/** A valid trade candidate; overrides may be anything a provider could hand the gates. */
const trade = (overrides: Partial<Record<keyof Tick, unknown>> = {}) => ({
  ...sampleTick({
    source: "alpaca",
    symbol: "AAPL",
    kind: "TRADE",
    eventTime: NOW - 1_000,
    sequence: ++sequence,
    price: "187.25",
    size: 100,
    exchange: "V",
    ingestTime: NOW,
  }),
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
      trade({ kind: "QUOTE", bid: "-1", ask: "187.3", size: 0 }),
      "non_positive_price",
      /bid/,
    );
  });

  test("a one-sided quote (one side null) passes with that side null; a side priced 0 is still non_positive_price; no side at all is schema_invalid", () => {
    const quote = { kind: "QUOTE", size: 0, bidSize: 300, askSize: null };
    expect(gates().check(trade({ ...quote, bid: "187.2", ask: null }), NOW)).toMatchObject({
      ok: true,
      tick: { bid: "187.2", ask: null },
    });
    expect(gates().check(trade({ ...quote, bid: null, ask: "187.3" }), NOW).ok).toBe(true);
    expectRejected(trade({ ...quote, bid: "0", ask: "187.3" }), "non_positive_price");
    expectRejected(trade({ ...quote, bid: null, ask: null }), "schema_invalid", /bid/);
  });

  test("a cancel of an accepted trade is not its duplicate; a replayed cancel is; cancels skip staleness and price jumps and never move the anchor", () => {
    const g = gates();
    expect(g.check(trade({ price: "100", sequence: 1 }), NOW).ok).toBe(true);
    const cancel = trade({ price: "100", sequence: 1, cancelled: true });
    expect(g.check(cancel, NOW).ok).toBe(true);
    expect(g.check(cancel, NOW)).toMatchObject({ ok: false, reason: "duplicate" });
    // A busted outlier, an hour old: accepted as a cancel, and the anchor stays at 100.
    const outlier = trade({
      price: "500",
      sequence: 2,
      eventTime: NOW - 3_600_000_000,
      cancelled: true,
    });
    expect(g.check(outlier, NOW).ok).toBe(true);
    expect(g.check(trade({ price: "101", sequence: 3 }), NOW).ok).toBe(true);
  });

  test("stale_timestamp allows a source its feed's documented delay on top of the bound", () => {
    const delayed = gates({ feedDelayMs: { alpaca: 15 * 60_000 } });
    // 16 minutes old: stale for a real-time feed, 1 minute late for a 15-minute delayed one.
    const sixteenMinutes = NOW - 16 * 60_000_000;
    expect(delayed.check(trade({ eventTime: sixteenMinutes }), NOW).ok).toBe(true);
    expect(delayed.check(trade({ eventTime: NOW - 17 * 60_000_000 }), NOW)).toMatchObject({
      ok: false,
      reason: "stale_timestamp",
    });
    expect(gates().check(trade({ eventTime: sixteenMinutes }), NOW)).toMatchObject({
      ok: false,
      reason: "stale_timestamp",
    });
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

describe("price_jump re-anchoring", () => {
  const verdicts = (checker: ReturnType<typeof gates>, prices: string[], at = NOW - 1_000) =>
    prices.map((price) => checker.check(trade({ price, eventTime: at }), NOW).ok);

  test("a sustained move is accepted from the 3rd agreeing tick on, and the new level becomes the anchor", () => {
    const checker = gates();
    expect(verdicts(checker, ["100", "130", "131", "129.5", "130.2"])).toEqual([
      true,
      false,
      false,
      true,
      true,
    ]);
    expect(checker.check(trade({ price: "100" }), NOW)).toMatchObject({
      ok: false,
      reason: "price_jump",
    });
  });

  test("the re-anchoring tick reports the move it confirmed", () => {
    const checker = gates();
    verdicts(checker, ["100", "80", "79"]);
    expect(checker.check(trade({ price: "78.5" }), NOW)).toMatchObject({
      ok: true,
      reanchored: { from: 100, to: 78.5 },
    });
  });

  test("a single outlier is rejected and does not move the anchor, however often it happens", () => {
    const checker = gates();
    expect(verdicts(checker, ["100", "150", "101", "150", "100.5", "150", "99.8"])).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
  });

  test("outliers that disagree with each other never confirm a new level", () => {
    const checker = gates();
    expect(verdicts(checker, ["100", "150", "70", "150", "70", "150"])).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(checker.check(trade({ price: "100.2" }), NOW).ok).toBe(true);
  });

  test("the same refused tick seen again does not count as a confirmation", () => {
    const checker = gates();
    expect(checker.check(trade({ price: "100" }), NOW).ok).toBe(true);
    const jumped = trade({ price: "130" });
    expect(checker.check(jumped, NOW).ok).toBe(false);
    expect(checker.check({ ...jumped }, NOW).ok).toBe(false);
    expect(checker.check({ ...jumped }, NOW).ok).toBe(false);
    expect(checker.check(trade({ price: "130.1" }), NOW).ok).toBe(false);
    expect(checker.check(trade({ price: "130.2" }), NOW).ok).toBe(true);
  });

  test("two agreeing ticks spanning reanchorAfterMs of event time re-anchor a sparse provider", () => {
    const checker = gates({ reanchorTicks: 5, reanchorAfterMs: 30_000 });
    const at = (secondsAgo: number) => NOW - secondsAgo * 1_000_000;
    expect(checker.check(trade({ price: "100", eventTime: at(50) }), NOW).ok).toBe(true);
    expect(checker.check(trade({ price: "120", eventTime: at(45) }), NOW).ok).toBe(false);
    expect(checker.check(trade({ price: "121", eventTime: at(20) }), NOW).ok).toBe(false);
    expect(checker.check(trade({ price: "120.5", eventTime: at(10) }), NOW)).toMatchObject({
      ok: true,
      reanchored: { from: 100, to: 120.5 },
    });
  });

  test("/stats counts the refused ticks of a move as price_jump and the re-anchor once; the confirmed ticks are buffered", async () => {
    const stats = createStats();
    const buffer = createTickBuffer(100);
    const ingest = createIngest({
      stats,
      log: captureLog().log,
      gates: gates(),
      buffer,
      onBuffered: () => {},
      nowMicros: () => NOW,
    });
    const prices = ["100", "100.5", "62", "61.8", "62.1", "62.3", "140", "62.2"];
    const provider: Provider = {
      name: "earnings",
      poll: async () => ({ ticks: prices.map((price) => trade({ price })), malformed: [] }),
    };
    await ingest.poll(provider);
    const snapshot = ingest.snapshot([]);
    expect(snapshot.records.rejected).toMatchObject({ price_jump: 3 });
    expect(snapshot.gates).toEqual({ reanchored: 1 });
    expect(buffer.peek(100).map((tick) => tick.price)).toEqual([
      "100",
      "100.5",
      "62.1",
      "62.3",
      "62.2",
    ]);
  });
});
