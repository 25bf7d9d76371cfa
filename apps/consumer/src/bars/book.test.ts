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

test("a minute is evicted once a finished tick makes it final; then it and every minute before it are no longer fresh", () => {
  const lateness = createLateness(60_000);
  const book = createMinuteBook(lateness);
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
