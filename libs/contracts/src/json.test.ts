import { describe, expect, test } from "bun:test";
import { edgeTick, sampleBar } from "./fixtures.ts";
import { tickDefaults } from "./generated/Tick.ts";
import { fromJson, tickFromJson, tickToJson, toJson } from "./json.ts";

const tickJson = {
  source: "simulator",
  symbol: "AAPL",
  kind: "TRADE",
  eventTime: "2026-11-25T14:30:00.123456Z",
  sequence: 42,
  price: "123456789012.123456",
  size: 100,
  bid: "0.000001",
  askSize: 300,
  exchange: "XNAS",
  ingestTime: "2026-11-25T14:30:00.200001Z",
};

describe("tick JSON", () => {
  test("reads the edge form into the Avro value and writes it back", () => {
    const read = tickFromJson(tickJson);
    expect(read).toEqual({ ok: true, value: edgeTick() });
    expect(tickToJson(edgeTick())).toEqual({ ...tickDefaults, ...tickJson });
  });

  test("optional fields may be omitted or null", () => {
    const result = tickFromJson({ ...tickJson, bid: null, exchange: undefined });
    expect(result.ok && [result.value.bid, result.value.exchange, result.value.ask]).toEqual([
      null,
      null,
      null,
    ]);
  });

  test("a field with a non-null default (cancelled) may be omitted or null and takes its default", () => {
    const read = (cancelled: unknown) => {
      const result = tickFromJson({ ...tickJson, cancelled });
      return result.ok ? result.value.cancelled : result.issues;
    };
    expect(read(undefined)).toBe(false);
    expect(read(null)).toBe(false);
    expect(read(true)).toBe(true);
    expect(read("yes")).toEqual([
      { path: "cancelled", message: expect.stringContaining("boolean") },
    ]);
    expect(tickToJson(edgeTick({ cancelled: true })).cancelled).toBe(true);
  });

  test("decimal numbers with at most 6 decimals are accepted exactly", () => {
    const read = (price: unknown) => {
      const result = tickFromJson({ ...tickJson, price });
      return result.ok ? result.value.price : result.issues;
    };
    expect(read(0.000001)).toBe("0.000001");
    expect(read(101.25)).toBe("101.25");
    expect(read(1e-6)).toBe("0.000001");
    expect(read("0012.500")).toBe("12.5");
    expect(read(123456789012.34567)).toEqual([
      {
        path: "price",
        message:
          "a JSON number with more than 15 significant digits may have been rounded by the JSON parser; send it as a decimal string",
      },
    ]);
    expect(read("123456789012.34567")).toBe("123456789012.34567");
    expect(read(123456789.123456)).toBe("123456789.123456");
    expect(read(1.1234567)).toEqual([
      { path: "price", message: "1.1234567 has more than 6 decimal places" },
    ]);
    expect(read("1234567890123.5")).toEqual([
      {
        path: "price",
        message:
          "1234567890123.5 exceeds decimal(18, 6): at most 12 digits before the decimal point",
      },
    ]);
    expect(read(Number.NaN)).toEqual([
      { path: "price", message: "expected a decimal string, got number NaN" },
    ]);
    expect(read("-2")).toEqual([{ path: "price", message: "must be positive" }]);
  });

  test("timestamps: offsets normalised, missing offsets and nanoseconds refused", () => {
    const result = tickFromJson({ ...tickJson, eventTime: "2026-11-25T15:30:00.123456+01:00" });
    expect(result.ok && result.value.eventTime).toBe(1_795_617_000_123_456);
    const local = tickFromJson({ ...tickJson, eventTime: "2026-11-25T14:30:00.123456" });
    expect(!local.ok && local.issues.map((issue) => issue.path)).toEqual(["eventTime"]);
    const nanos = tickFromJson({ ...tickJson, ingestTime: "2026-11-25T14:30:00.123456789Z" });
    expect(!nanos.ok && nanos.issues.map((issue) => issue.path)).toEqual(["ingestTime"]);
  });

  test("invalid values are refused with field paths relative to the value", () => {
    const { price: _, ...withoutPrice } = tickJson;
    const cases: [unknown, string[]][] = [
      [{ ...tickJson, symbol: "aapl" }, ["symbol"]],
      [withoutPrice, ["price"]],
      [{ ...tickJson, size: "100" }, ["size"]],
      [{ ...tickJson, sequence: 1.5 }, ["sequence"]],
      [{ ...tickJson, kind: "trade" }, ["kind"]],
      [{ ...tickJson, unknown: 1 }, ["unknown"]],
    ];
    for (const [json, expected] of cases) {
      const result = tickFromJson(json);
      expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toEqual(expected);
    }
    const missing = tickFromJson(withoutPrice);
    expect(missing).toEqual({ ok: false, issues: [{ path: "price", message: "is required" }] });
  });
});

describe("generic JSON by topic", () => {
  test("bars round-trip through their JSON form", () => {
    const json = toJson("market.bars.1m", sampleBar());
    expect(json.start).toBe("2026-11-25T14:30:00.000000Z");
    expect(fromJson("market.bars.1m", json)).toEqual({ ok: true, value: sampleBar() });
  });
});
