import { describe, expect, test } from "bun:test";
import { divideHalfEven, formatMicros, isqrt, parseMicros, roundSqrtRatio } from "./fixed.ts";

describe("divideHalfEven", () => {
  test("rounds exact halves to the even neighbour, for both signs", () => {
    expect([5n, 7n, 6n, 1n].map((n) => divideHalfEven(n, 2n))).toEqual([2n, 4n, 3n, 0n]);
    expect([-5n, -7n, -6n, -1n].map((n) => divideHalfEven(n, 2n))).toEqual([-2n, -4n, -3n, 0n]);
    expect(divideHalfEven(10n, 3n)).toBe(3n);
    expect(divideHalfEven(-11n, 3n)).toBe(-4n);
  });
});

describe("roundSqrtRatio", () => {
  /** Reference: (offset + sign·√m)/d at 40 extra digits, then half-even on the truncated digits. */
  function reference(offset: bigint, sign: bigint, m: bigint, d: bigint): bigint {
    const scale = 10n ** 40n;
    const root = isqrt(m * scale * scale); // √m·10^40, floored
    const exactRoot = root * root === m * scale * scale;
    const numerator = offset * scale + sign * root;
    const q = numerator / (d * scale);
    const r = numerator - q * d * scale;
    // Far from a tie unless √m is exact; ties only arise then.
    const floor = r < 0n ? q - 1n : q;
    const rem = r < 0n ? r + d * scale : r;
    const twice = 2n * rem;
    const total = d * scale;
    if (twice > total) return floor + 1n;
    if (twice < total) return floor;
    if (!exactRoot) return sign > 0n ? floor : floor + 1n;
    return floor % 2n === 0n ? floor : floor + 1n;
  }

  test("equals a 40-digit reference on random inputs, including perfect squares and ties", () => {
    let seed = 12345;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return BigInt(seed % n);
    };
    for (let i = 0; i < 3000; i += 1) {
      const d = next(40) + 1n;
      const m = i % 3 === 0 ? next(1000) ** 2n : next(10_000_000_000);
      const offset = next(2_000_000_000) - 1_000_000_000n;
      const sign = i % 2 === 0 ? 1n : -1n;
      expect(roundSqrtRatio(offset, sign as 1n | -1n, m, d)).toBe(reference(offset, sign, m, d));
    }
  });

  test("an exact tie goes to the even neighbour", () => {
    // (1 + √4)/2 = 1.5 → 2; (3 + √4)/2 = 2.5 → 2; (0 + √9)/2 = 1.5 → 2; (5 − √4)/2 = 1.5 → 2
    expect(roundSqrtRatio(1n, 1n, 4n, 2n)).toBe(2n);
    expect(roundSqrtRatio(3n, 1n, 4n, 2n)).toBe(2n);
    expect(roundSqrtRatio(0n, 1n, 9n, 2n)).toBe(2n);
    expect(roundSqrtRatio(5n, -1n, 4n, 2n)).toBe(2n);
    expect(roundSqrtRatio(0n, 1n, 2n, 1n)).toBe(1n);
  });
});

describe("micro-unit decimals", () => {
  test("format and parse are inverse and canonical", () => {
    for (const text of ["0", "1.5", "-0.000001", "123456.123456", "42"])
      expect(formatMicros(parseMicros(text))).toBe(text);
    expect(formatMicros(-1500000n)).toBe("-1.5");
    expect(() => parseMicros("1.0000001")).toThrow();
  });
});
