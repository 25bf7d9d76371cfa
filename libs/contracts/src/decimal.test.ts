import { describe, expect, test } from "bun:test";
import { avroTypeOf } from "./avro.ts";
import {
  bytesToUnscaled,
  divideHalfEven,
  formatDecimal,
  parseDecimal,
  unscaledToBytes,
} from "./decimal.ts";

const canonical = (text: string, exponent = false) => {
  const parsed = parseDecimal(text, 6, 18, exponent);
  return parsed.ok ? formatDecimal(parsed.unscaled) : `error: ${parsed.message}`;
};

describe("decimal strings", () => {
  test("canonical form keeps every digit and drops only redundant zeros", () => {
    expect(canonical("0.000001")).toBe("0.000001");
    expect(canonical("123456789012.123456")).toBe("123456789012.123456");
    expect(canonical("999999999999.999999")).toBe("999999999999.999999");
    expect(canonical("007.50")).toBe("7.5");
    expect(canonical("100")).toBe("100");
    expect(canonical("0")).toBe("0");
    expect(canonical("-0.000")).toBe("0");
    expect(canonical("-12.340000")).toBe("-12.34");
  });

  test("more than 6 decimals is refused, never rounded", () => {
    expect(canonical("1.1234567")).toContain("more than 6 decimal places");
    expect(canonical("1.0000000")).toContain("more than 6 decimal places");
  });

  test("more than 18 digits of precision is refused", () => {
    expect(canonical("1234567890123")).toContain("exceeds decimal(18, 6)");
    expect(canonical("-1000000000000")).toContain("exceeds decimal(18, 6)");
  });

  test("malformed text is refused", () => {
    for (const text of ["", ".5", "5.", "+1", "1,5", "1e-6", "NaN", " 1", "0x10"]) {
      expect(canonical(text)).toStartWith("error:");
    }
  });

  test("exponent notation only where allowed (JSON numbers)", () => {
    expect(canonical("1e-6", true)).toBe("0.000001");
    expect(canonical("1.5e3", true)).toBe("1500");
    expect(canonical("1e-7", true)).toContain("more than 6 decimal places");
    expect(canonical("1e+21", true)).toContain("exceeds decimal(18, 6)");
  });
});

describe("two's-complement bytes", () => {
  test("round-trip at sign and byte boundaries", () => {
    const cases: [bigint, string][] = [
      [0n, "00"],
      [1n, "01"],
      [127n, "7f"],
      [128n, "0080"],
      [-1n, "ff"],
      [-128n, "80"],
      [-129n, "ff7f"],
      [999_999_999_999_999_999n, "0de0b6b3a763ffff"],
      [-999_999_999_999_999_999n, "f21f494c589c0001"],
    ];
    for (const [value, hex] of cases) {
      expect(unscaledToBytes(value).toString("hex")).toBe(hex);
      expect(bytesToUnscaled(Buffer.from(hex, "hex"))).toBe(value);
    }
  });
});

test("divideHalfEven rounds ties to the even neighbour and the rest to the nearest", () => {
  expect([5n, 15n, 25n, 26n, 24n].map((n) => divideHalfEven(n, 10n))).toEqual([0n, 2n, 2n, 3n, 2n]);
  expect([divideHalfEven(7n, 2n), divideHalfEven(10n, 3n), divideHalfEven(11n, 3n)]).toEqual([
    4n,
    3n,
    4n,
  ]);
});

test("an Avro decimal longer than its precision allows is refused before it is converted, naming its length", () => {
  const type = avroTypeOf({ type: "bytes", logicalType: "decimal", precision: 18, scale: 6 });
  const fits = Buffer.from(unscaledToBytes(999_999_999_999_999_999n));
  expect(fits.length).toBe(8);
  expect(type.fromBuffer(avroTypeOf("bytes").toBuffer(fits))).toBe("999999999999.999999");
  const huge = avroTypeOf("bytes").toBuffer(Buffer.alloc(1_000_000, 0x7f));
  expect(() => type.fromBuffer(huge)).toThrow(
    "decimal of 1000000 bytes cannot fit decimal(18, 6) (at most 8 bytes)",
  );
});
