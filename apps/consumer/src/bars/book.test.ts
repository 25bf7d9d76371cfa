import { expect, test } from "bun:test";
import { MINUTE_US, MinuteAggregate } from "./bar.ts";
import { createMinuteBook } from "./book.ts";
import { createLateness } from "./lateness.ts";

const day = 1_795_564_800_000_000; // a UTC midnight, in µs
const at = (minutes: number) => day + minutes * MINUTE_US;
const partition = "market.ticks\u00003";

test("a minute is fresh only after the symbol-day's horizon, and only once that horizon is known", () => {
  const book = createMinuteBook(createLateness(60_000));
  expect(book.isFresh("AAPL", at(10))).toBe(false);
  book.setHorizon("AAPL", at(10), at(10) + 5, partition, book.epoch);
  expect(book.isFresh("AAPL", at(10))).toBe(false); // a stored tick lies inside it
  expect(book.isFresh("AAPL", at(11))).toBe(true);
  expect(book.isFresh("MSFT", at(11))).toBe(false);
  // Another day of the same symbol has a horizon of its own.
  expect(book.isFresh("AAPL", at(24 * 60 + 1))).toBe(false);
  book.setHorizon("AAPL", at(24 * 60), Number.NEGATIVE_INFINITY, partition, book.epoch);
  expect(book.isFresh("AAPL", at(24 * 60 + 1))).toBe(true);
});

test("a minute is evicted once a finished tick makes it final and its grace passed; then it and every minute before it are no longer fresh", () => {
  const lateness = createLateness(60_000);
  let clock = 0;
  const book = createMinuteBook(lateness, { finalGraceMs: 1000, now: () => clock });
  book.setHorizon("AAPL", at(0), Number.NEGATIVE_INFINITY, partition, book.epoch);
  book.put(new MinuteAggregate("AAPL", at(5)), partition);
  // Batches in flight already hold minute 8, past the end of minute 5 plus the allowance; their
  // predecessors may still hold trades of minute 5, so it stays until minute 8 is finished.
  lateness.observe("AAPL", at(8));
  book.observeFinished([{ symbol: "AAPL", eventTime: at(5) }]);
  book.evictFinal();
  expect(book.get("AAPL", at(5))).toBeDefined();
  book.observeFinished([{ symbol: "AAPL", eventTime: at(8) }]);
  book.evictFinal();
  expect(book.get("AAPL", at(5))).toBeDefined(); // final, but touched less than a grace ago
  clock += 1000;
  book.evictFinal();
  expect(book.get("AAPL", at(5))).toBeUndefined();
  expect(book.isFresh("AAPL", at(5))).toBe(false);
  expect(book.isFresh("AAPL", at(3))).toBe(false);
  expect(book.isFresh("AAPL", at(6))).toBe(true);
});

test("a revoke forgets its symbols' aggregates and horizons, and a horizon read begun before it is not recorded", () => {
  const book = createMinuteBook(createLateness(60_000));
  book.setHorizon("AAPL", at(0), Number.NEGATIVE_INFINITY, partition, book.epoch);
  book.setHorizon("MSFT", at(0), Number.NEGATIVE_INFINITY, "market.ticks\u00001", book.epoch);
  book.put(new MinuteAggregate("AAPL", at(1)), partition);
  const readBegun = book.epoch;
  book.forgetPartitions([partition]);
  expect(book.get("AAPL", at(1))).toBeUndefined();
  expect(book.hasHorizon(book.horizonName("AAPL", at(0)))).toBe(false);
  expect(book.isFresh("MSFT", at(1))).toBe(true); // its partition stays
  book.setHorizon("AAPL", at(0), Number.NEGATIVE_INFINITY, partition, readBegun);
  expect(book.hasHorizon(book.horizonName("AAPL", at(0)))).toBe(false);
});

test("a final minute touched batch after batch (a backfill) stays in memory; untouched for the grace it goes, and no more than maxFinalKept wait", () => {
  const lateness = createLateness(60_000);
  let clock = 0;
  const book = createMinuteBook(lateness, {
    finalGraceMs: 1000,
    maxFinalKept: 2,
    now: () => clock,
  });
  for (const m of [1, 2, 3]) book.put(new MinuteAggregate("AAPL", at(m)), partition);
  book.observeFinished([{ symbol: "AAPL", eventTime: at(100) }]);
  for (let batch = 0; batch < 5; batch += 1) {
    clock += 400;
    book.touch("AAPL", at(3));
    book.touch("AAPL", at(2));
    book.evictFinal();
  }
  // Minute 1 was not touched for 2 s; 2 and 3 were touched every 400 ms.
  expect([1, 2, 3].map((m) => book.get("AAPL", at(m)) !== undefined)).toEqual([false, true, true]);
  book.put(new MinuteAggregate("AAPL", at(4)), partition);
  clock += 100;
  book.touch("AAPL", at(2));
  book.evictFinal();
  // Three final minutes within their grace, two may wait: the least recently touched (3) goes.
  expect([2, 3, 4].map((m) => book.get("AAPL", at(m)) !== undefined)).toEqual([true, false, true]);
  expect(book.finalKept).toBe(2);
});

test("final minutes in their grace hold at most maxFinalSlots table slots: the least recently touched go first, and are no longer fresh", () => {
  const lateness = createLateness(60_000);
  let clock = 0;
  const book = createMinuteBook(lateness, {
    finalGraceMs: 60_000,
    maxFinalSlots: 300,
    now: () => clock,
  });
  book.setHorizon("AAPL", at(0), Number.NEGATIVE_INFINITY, partition, book.epoch);
  for (const m of [1, 2, 3, 4]) {
    const minute = new MinuteAggregate("AAPL", at(m));
    for (let i = 0; i < 60; i += 1) {
      minute.add({ source: "sim", sequence: i, eventTime: at(m) + i, price: "1", size: 1 });
    }
    book.put(minute, partition);
    clock += 10;
  }
  // Each minute holds 128 slots (60 trades, at most half full); 4 × 128 > 300 ≥ 2 × 128.
  expect(book.get("AAPL", at(1))?.slots).toBe(128);
  book.observeFinished([{ symbol: "AAPL", eventTime: at(4) }]);
  book.evictFinal();
  // Minutes 1 and 2 are final (4 is past their end + 60 s); 3 and 4 are open, whatever they hold.
  expect([1, 2, 3, 4].map((m) => book.get("AAPL", at(m)) !== undefined)).toEqual([
    true,
    true,
    true,
    true,
  ]);
  book.observeFinished([{ symbol: "AAPL", eventTime: at(10) }]);
  book.touch("AAPL", at(1));
  book.evictFinal();
  // Minute 1 was just touched (a backfill): kept, whatever the budget says.
  expect(book.get("AAPL", at(1))).toBeDefined();
  clock += 5_000;
  book.touch("AAPL", at(4));
  book.evictFinal();
  // All four final within their grace: 512 slots > 300, so the least recently touched (2, 3) go.
  expect([1, 2, 3, 4].map((m) => book.get("AAPL", at(m)) !== undefined)).toEqual([
    true,
    false,
    false,
    true,
  ]);
  expect(book.isFresh("AAPL", at(2))).toBe(false);
});
