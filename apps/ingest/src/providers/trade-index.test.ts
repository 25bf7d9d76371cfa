import { expect, test } from "bun:test";
import { createTradeIndex } from "./trade-index.ts";

const MINUTE_US = 60_000_000;

test("a remembered trade's event time is found by symbol and id; others are not", () => {
  const index = createTradeIndex({ horizonMs: 60_000, maxPerSymbol: 10 });
  index.remember("AAPL", 7, 1_000);
  expect(index.eventTimeOf("AAPL", 7)).toBe(1_000);
  expect(index.eventTimeOf("MSFT", 7)).toBeUndefined();
  expect(index.eventTimeOf("AAPL", 8)).toBeUndefined();
});

test("trades beyond the horizon behind the symbol's newest, or beyond the count, are forgotten oldest first", () => {
  const index = createTradeIndex({ horizonMs: 60_000, maxPerSymbol: 3 });
  index.remember("AAPL", 1, 0);
  index.remember("AAPL", 2, MINUTE_US / 2);
  index.remember("AAPL", 3, MINUTE_US + 1);
  expect(index.eventTimeOf("AAPL", 1)).toBeUndefined();
  expect(index.eventTimeOf("AAPL", 2)).toBe(MINUTE_US / 2);
  index.remember("AAPL", 4, MINUTE_US + 2);
  index.remember("AAPL", 5, MINUTE_US + 3);
  expect(index.eventTimeOf("AAPL", 2)).toBeUndefined();
  expect([3, 4, 5].map((id) => index.eventTimeOf("AAPL", id))).toEqual([
    MINUTE_US + 1,
    MINUTE_US + 2,
    MINUTE_US + 3,
  ]);
  expect(index.size).toBe(3);
});
