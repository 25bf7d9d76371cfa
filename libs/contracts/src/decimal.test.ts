import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { avroTypeOf, DecimalType } from "./avro.ts";
import {
  bytesToUnscaled,
  divideHalfEven,
  formatDecimal,
  parseDecimal,
  safeIntegerBytes,
  unscaledNumber,
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

describe("the BigInt-free short paths", () => {
  /** Decimal-looking texts: signs, leading zeros, points in odd places, up to 20 characters. */
  const texts = fc.oneof(
    fc.stringMatching(/^-?\d{1,12}(\.\d{0,8})?$/),
    fc.stringMatching(/^[-0-9.]{0,20}$/),
    fc.double({ noNaN: true }).map(String),
  );

  test("unscaledNumber is parseDecimal's unscaled value whenever it answers, for any scale and precision", () => {
    fc.assert(
      fc.property(
        texts,
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 18 }),
        (text, scale, extra) => {
          const precision = Math.max(scale, extra);
          const short = unscaledNumber(text, scale, precision);
          if (short === undefined) return;
          const parsed = parseDecimal(text, scale, precision);
          expect(parsed.ok).toBe(true);
          if (parsed.ok) expect(BigInt(short)).toBe(parsed.unscaled);
          expect(Object.is(short, -0)).toBe(false);
        },
      ),
      { numRuns: 20_000, seed: 26 },
    );
    expect(unscaledNumber("187.25")).toBe(187_250_000);
    expect(unscaledNumber("-0.000001")).toBe(-1);
    expect(unscaledNumber("-0")).toBe(0);
    // Left to parseDecimal: too many places, too long, exponents, malformed.
    for (const text of ["1.0000001", "12345678901.5", "1e3", "1.", ".5", "1.2.3", "", "-"])
      expect(unscaledNumber(text)).toBeUndefined();
  });

  test("safeIntegerBytes is unscaledToBytes for every safe integer", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(safeIntegerBytes(n)).toEqual(unscaledToBytes(BigInt(n)));
      }),
      { numRuns: 20_000, seed: 27 },
    );
    for (const n of [0, 1, -1, 127, 128, -128, -129, 255, 256, 2 ** 47, -(2 ** 47)])
      expect(safeIntegerBytes(n)).toEqual(unscaledToBytes(BigInt(n)));
  });

  test("an Avro decimal encodes the same bytes by either path", () => {
    const type = avroTypeOf({
      type: "record",
      name: "Price",
      fields: [
        { name: "p", type: { type: "bytes", logicalType: "decimal", precision: 18, scale: 6 } },
      ],
    });
    for (const p of ["187.25", "0.000001", "-3", "999999999999.999999", "123456789.123456"]) {
      const bytes = type.toBuffer({ p });
      expect(type.fromBuffer(bytes)).toEqual({ p });
    }
    expect(type.isValid({ p: "1.0000001" })).toBe(false);
    expect(type.isValid({ p: "1000000000000" })).toBe(false);
    expect(type.isValid({ p: "999999999999.999999" })).toBe(true);
  });
});

test("a nullable decimal checks and writes null without an exception, and still names a bad value's path", () => {
  const type = avroTypeOf({
    type: "record",
    name: "Quote",
    fields: [
      {
        name: "bid",
        type: ["null", { type: "bytes", logicalType: "decimal", precision: 18, scale: 6 }],
      },
    ],
  });
  // avsc asks the decimal branch about every value of the union, nulls included; its default
  // check learns "no" from an exception, whose stack trace dominated the producer's CPU.
  const thrown: unknown[] = [];
  const decimal = DecimalType.prototype as unknown as { _toValue(value: unknown): Buffer };
  const toValue = decimal._toValue;
  decimal._toValue = function (this: DecimalType, value: unknown) {
    try {
      return toValue.call(this, value);
    } catch (error) {
      thrown.push(value);
      throw error;
    }
  };
  try {
    expect(type.isValid({ bid: null })).toBe(true);
    expect(type.fromBuffer(type.toBuffer({ bid: null }))).toEqual({ bid: null });
    expect(type.fromBuffer(type.toBuffer({ bid: "187.25" }))).toEqual({ bid: "187.25" });
    expect(thrown).toEqual([]);
    const paths: string[][] = [];
    expect(type.isValid({ bid: 187.25 }, { errorHook: (path) => paths.push(path) })).toBe(false);
    expect(paths).toEqual([["bid"]]);
    expect(type.isValid({ bid: "1.1234567" })).toBe(false);
  } finally {
    decimal._toValue = toValue;
  }
});
