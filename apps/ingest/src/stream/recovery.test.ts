import { expect, test } from "bun:test";
import type { Gap } from "./connection.ts";
import { createRateMeter } from "./meter.ts";
import { merge } from "./recovery.ts";

const gap = (fromMs: number, toMs: number, symbols = ["AAPL"]): Gap => ({
  symbols,
  fromMs,
  toMs,
  reason: "disconnect",
});

test("pending gaps that overlap merge into one with the union of their symbols; disjoint ones stay apart", () => {
  expect(merge([gap(50, 80, ["MSFT"]), gap(0, 60), gap(200, 300)])).toEqual([
    { symbols: ["AAPL", "MSFT"], fromMs: 0, toMs: 80, reason: "disconnect" },
    gap(200, 300),
  ]);
});

test("past 64 pending gaps the closest neighbours merge, so memory stays bounded", () => {
  const many = Array.from({ length: 100 }, (_, i) => gap(i * 1_000, i * 1_000 + 10));
  const merged = merge(many);
  expect(merged.length).toBe(64);
  expect(merged[0]?.fromMs).toBe(0);
  expect(merged.at(-1)?.toMs).toBe(99_010);
});

test("the message rate averages the last whole seconds", () => {
  let now = 10_000;
  const meter = createRateMeter(5, () => now);
  meter.mark(8);
  now += 1_000;
  meter.mark(4);
  now += 1_000;
  expect(meter.perSecond()).toBe(3); // (8 + 4) over the 4 previous seconds
});
