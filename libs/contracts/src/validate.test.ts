import { describe, expect, test } from "bun:test";
import { sampleBar, sampleTick } from "./fixtures.test-helpers.ts";
import { validate, validateBar, validateTick } from "./validate.ts";

const paths = (issues: { path: string }[]) => issues.map((issue) => issue.path);

describe("validateTick", () => {
  test("accepts a valid trade and a valid quote", () => {
    expect(validateTick(sampleTick())).toEqual([]);
    const quote = sampleTick({ kind: "QUOTE", bid: "10.1", ask: "10.2", size: 0 });
    expect(validateTick(quote)).toEqual([]);
  });

  test("lower-case symbol is refused at `symbol`", () => {
    const issues = validateTick(sampleTick({ symbol: "aapl" }));
    expect(issues).toEqual([{ path: "symbol", message: "must match ^[A-Z0-9.-]{1,12}$" }]);
  });

  test("missing price is refused at `price`", () => {
    const { price: _, ...withoutPrice } = sampleTick();
    expect(validateTick(withoutPrice)).toEqual([{ path: "price", message: "is required" }]);
  });

  test("a price with 7 decimals is refused at `price`", () => {
    const issues = validateTick(sampleTick({ price: "1.1234567" }));
    expect(issues).toEqual([
      { path: "price", message: "1.1234567 has more than 6 decimal places" },
    ]);
  });

  test("a string where a number belongs is refused at that field", () => {
    const issues = validateTick({ ...sampleTick(), size: "100" });
    expect(issues).toEqual([{ path: "size", message: 'expected an integer, got string "100"' }]);
  });

  test("several problems are all reported with their paths", () => {
    const value = { ...sampleTick(), kind: "CANCEL", bid: 1.5, askSize: 1.5, extra: true };
    expect(paths(validateTick(value)).sort()).toEqual(["askSize", "bid", "extra", "kind"]);
  });

  test("rules Avro cannot express", () => {
    expect(paths(validateTick(sampleTick({ price: "0" })))).toEqual(["price"]);
    expect(paths(validateTick(sampleTick({ price: "-1.5" })))).toEqual(["price"]);
    expect(paths(validateTick(sampleTick({ size: 0 })))).toEqual(["size"]);
    expect(paths(validateTick(sampleTick({ kind: "QUOTE", ask: null })))).toEqual(["ask"]);
    expect(paths(validateTick(sampleTick({ source: "a|b" })))).toEqual(["source"]);
    expect(paths(validateTick(sampleTick({ symbol: "TOOLONGSYMBOL" })))).toEqual(["symbol"]);
  });

  test("a non-record is refused at the root", () => {
    expect(validateTick("AAPL")).toEqual([
      { path: "", message: 'expected a record, got string "AAPL"' },
    ]);
  });
});

describe("validate by topic or record name", () => {
  test("topic and record names resolve to the same contract", () => {
    expect(validate("market.ticks", sampleTick()).ok).toBe(true);
    expect(validate("market.Tick", sampleTick()).ok).toBe(true);
    expect(validate("market.bars.1m", sampleBar()).ok).toBe(true);
    expect(() => validate("market.ticks.dlq", {})).toThrow(/no Avro record/);
  });

  test("bars must be consistent", () => {
    expect(validateBar(sampleBar())).toEqual([]);
    expect(paths(validateBar(sampleBar({ open: "11.5" })))).toEqual(["open"]);
    expect(paths(validateBar(sampleBar({ end: 1_795_703_400_000_000 })))).toEqual(["end"]);
    expect(paths(validateBar(sampleBar({ volume: -1 })))).toEqual(["volume"]);
  });
});
