import { describe, expect, test } from "bun:test";
import { edgeTick, sampleBar } from "./fixtures.ts";
import { TOPIC, topicNames, topics } from "./topics.ts";
import { validate, validateBar, validateTick } from "./validate.ts";

const paths = (issues: { path: string }[]) => issues.map((issue) => issue.path);

describe("validateTick", () => {
  test("accepts a valid trade and a valid quote", () => {
    expect(validateTick(edgeTick())).toEqual([]);
    const quote = edgeTick({ kind: "QUOTE", bid: "10.1", ask: "10.2", size: 0 });
    expect(validateTick(quote)).toEqual([]);
  });

  test("a one-sided quote (only a bid, or only an ask) is valid; a cancelled trade is valid", () => {
    expect(validateTick(edgeTick({ kind: "QUOTE", bid: "10.1", ask: null, size: 0 }))).toEqual([]);
    expect(validateTick(edgeTick({ kind: "QUOTE", bid: null, ask: "10.2", size: 0 }))).toEqual([]);
    expect(validateTick(edgeTick({ cancelled: true }))).toEqual([]);
  });

  test("lower-case symbol is refused at `symbol`", () => {
    const issues = validateTick(edgeTick({ symbol: "aapl" }));
    expect(issues).toEqual([{ path: "symbol", message: "must match ^[A-Z0-9.-]{1,12}$" }]);
  });

  test("missing price is refused at `price`", () => {
    const { price: _, ...withoutPrice } = edgeTick();
    expect(validateTick(withoutPrice)).toEqual([{ path: "price", message: "is required" }]);
  });

  test("a price with 7 decimals is refused at `price`", () => {
    const issues = validateTick(edgeTick({ price: "1.1234567" }));
    expect(issues).toEqual([
      { path: "price", message: "1.1234567 has more than 6 decimal places" },
    ]);
  });

  test("a string where a number belongs is refused at that field", () => {
    const issues = validateTick({ ...edgeTick(), size: "100" });
    expect(issues).toEqual([{ path: "size", message: 'expected an integer, got string "100"' }]);
  });

  test("several problems are all reported with their paths", () => {
    const value = { ...edgeTick(), kind: "CANCEL", bid: 1.5, askSize: 1.5, extra: true };
    expect(paths(validateTick(value)).sort()).toEqual(["askSize", "bid", "extra", "kind"]);
  });

  test("rules Avro cannot express", () => {
    expect(paths(validateTick(edgeTick({ price: "0" })))).toEqual(["price"]);
    expect(paths(validateTick(edgeTick({ price: "-1.5" })))).toEqual(["price"]);
    expect(paths(validateTick(edgeTick({ size: 0 })))).toEqual(["size"]);
    expect(paths(validateTick(edgeTick({ kind: "QUOTE", bid: null, ask: null })))).toEqual(["bid"]);
    expect(paths(validateTick(edgeTick({ kind: "QUOTE", size: 0, cancelled: true })))).toEqual([
      "cancelled",
    ]);
    expect(paths(validateTick(edgeTick({ source: "a|b" })))).toEqual(["source"]);
    expect(paths(validateTick(edgeTick({ symbol: "TOOLONGSYMBOL" })))).toEqual(["symbol"]);
  });

  test("a non-record is refused at the root", () => {
    expect(validateTick("AAPL")).toEqual([
      { path: "", message: 'expected a record, got string "AAPL"' },
    ]);
  });
});

describe("validate by topic or record name", () => {
  test("topic and record names resolve to the same contract", () => {
    expect(validate("market.ticks", edgeTick()).ok).toBe(true);
    expect(validate("market.Tick", edgeTick()).ok).toBe(true);
    expect(validate("market.bars.1m", sampleBar()).ok).toBe(true);
    expect(() => validate("market.ticks.dlq", {})).toThrow(/no Avro record/);
  });

  test("bars must be consistent", () => {
    expect(validateBar(sampleBar())).toEqual([]);
    expect(paths(validateBar(sampleBar({ open: "11.5" })))).toEqual(["open"]);
    expect(paths(validateBar(sampleBar({ end: 1_795_617_000_000_000 })))).toEqual(["end"]);
    expect(paths(validateBar(sampleBar({ volume: -1 })))).toEqual(["volume"]);
  });
});

describe("bounds that keep hostile ticks out of the pipeline", () => {
  const now = Date.parse("2026-11-26T12:00:00Z");
  const us = (iso: string) => Date.parse(iso) * 1000;

  test("event and ingest times beyond now + skew are refused; history is allowed", () => {
    const future = edgeTick({ eventTime: us("2250-01-01T00:00:00Z") });
    expect(validateTick(future, { now })).toEqual([
      { path: "eventTime", message: "must not be later than now + 60 s (clock skew allowance)" },
    ]);
    const lateIngest = edgeTick({ ingestTime: us("2250-01-01T00:00:00Z") });
    expect(paths(validateTick(lateIngest, { now }))).toEqual(["ingestTime"]);
    const withinSkew = us("2026-11-26T12:00:59Z");
    expect(validateTick(edgeTick({ eventTime: withinSkew }), { now })).toEqual([]);
    const skew = { now, maxFutureSkewMs: 10_000 };
    expect(paths(validateTick(edgeTick({ eventTime: withinSkew }), skew))).toEqual(["eventTime"]);
    const history = edgeTick({ eventTime: us("1999-03-01T14:30:00Z") });
    expect(validateTick(history, { now })).toEqual([]);
    expect(paths(validateTick(edgeTick({ eventTime: -1 }), { now }))).toEqual(["eventTime"]);
  });

  test("sizes are bounded so a minute's volume cannot overflow its Avro long", () => {
    expect(paths(validateTick(edgeTick({ size: 9_007_199_254_740_990 })))).toEqual(["size"]);
    expect(paths(validateTick(edgeTick({ bidSize: 1_000_000_001 })))).toEqual(["bidSize"]);
    expect(validateTick(edgeTick({ size: 1_000_000_000 }))).toEqual([]);
  });

  test("exchange is short printable text", () => {
    expect(paths(validateTick(edgeTick({ exchange: "X".repeat(100_000) })))).toEqual(["exchange"]);
    expect(paths(validateTick(edgeTick({ exchange: "XN\u0000S" })))).toEqual(["exchange"]);
    expect(paths(validateTick(edgeTick({ exchange: "" })))).toEqual(["exchange"]);
    expect(validateTick(edgeTick({ exchange: "V" }))).toEqual([]);
  });
});

describe("topic catalog", () => {
  test("every topic carries the prefix; subjects follow TopicNameStrategy; names match the declarations", () => {
    expect(topicNames("t1.")).toEqual({
      ticks: "t1.market.ticks",
      bars: "t1.market.bars.1m",
      deadLetter: "t1.market.ticks.dlq",
      indicators: "t1.market.indicators",
      subjects: {
        ticks: "t1.market.ticks-value",
        bars: "t1.market.bars.1m-value",
        indicators: "t1.market.indicators-value",
      },
    });
    expect(topics.map((t) => t.name).sort()).toEqual(Object.values(TOPIC).sort());
  });
});
