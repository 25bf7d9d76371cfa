/**
 * Fixed-point arithmetic of the indicators: every value is a bigint of micro-units (1e-6), or of
 * pico-units (1e-12) for the carried state of recursive indicators. Whenever a division or a square
 * root is needed, the exact result is rounded once, half to even, to the target unit: the same
 * inputs give the same bits however (and however often) they were reached.
 */

/** One unit in micro-units (prices, published values). */
export const MICRO = 1_000_000n;
/** Micro-units per unit of the pico-scaled state (EMA, Wilder averages, returns). */
export const PICO_PER_MICRO = 1_000_000n;

/**
 * `numerator / denominator` rounded half to even, for any sign of the numerator (denominator > 0).
 *
 * @example
 *   divideHalfEven(5n, 2n); // 2n
 *   divideHalfEven(-7n, 2n); // -4n
 */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError("denominator must be positive");
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  let quotient = magnitude / denominator;
  const twice = (magnitude % denominator) * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}

/**
 * The integer square root (floor) of a non-negative bigint.
 *
 * @example
 *   isqrt(17n); // 4n
 */
export function isqrt(value: bigint): bigint {
  if (value < 0n) throw new RangeError("square root of a negative number");
  if (value < 2n) return value;
  let x = BigInt(Math.floor(Math.sqrt(Number(value))));
  // Newton from the float guess, then fix the last step exactly.
  for (;;) {
    const next = (x + value / x) >> 1n;
    if (next === x || next === x + 1n || next === x - 1n) {
      x = next;
      break;
    }
    x = next;
  }
  while (x * x > value) x -= 1n;
  while ((x + 1n) * (x + 1n) <= value) x += 1n;
  return x;
}

/** Sign of `a + b·√m` (m ≥ 0), exactly. */
function signOf(a: bigint, b: bigint, m: bigint): number {
  const root = b === 0n || m === 0n ? 0 : b > 0n ? 1 : -1;
  const linear = a === 0n ? 0 : a > 0n ? 1 : -1;
  if (root === 0) return linear;
  if (linear === 0 || linear === root) return root || linear;
  // Opposite signs: compare a² with b²·m.
  const left = a * a;
  const right = b * b * m;
  if (left === right) return 0;
  return left > right ? linear : root;
}

/**
 * `(offset + sign·√radicand) / divisor` rounded half to even, exactly (divisor > 0, radicand ≥ 0):
 * Bollinger bands and standard deviations without a floating-point square root.
 *
 * @example
 *   roundSqrtRatio(0n, 1n, 2n, 1n); // 1n (√2 = 1.414…)
 *   roundSqrtRatio(10n, -1n, 16n, 4n); // 2n ((10 − 4) / 4 = 1.5 → 2)
 */
export function roundSqrtRatio(
  offset: bigint,
  sign: 1n | -1n,
  radicand: bigint,
  divisor: bigint,
): bigint {
  if (divisor <= 0n) throw new RangeError("divisor must be positive");
  // v = (offset + sign·√radicand) / divisor; candidate q from a floor estimate, then exact checks.
  const root = isqrt(radicand);
  const estimate = divideHalfEven(offset + sign * root, divisor);
  // Predicate: (q − ½) ≤ v  ⇔  2·offset − (2q − 1)·divisor + 2·sign·√radicand ≥ 0.
  const atLeastHalfBelow = (q: bigint) =>
    signOf(2n * offset - (2n * q - 1n) * divisor, 2n * sign, radicand);
  let q = estimate - 2n;
  while (atLeastHalfBelow(q + 1n) >= 0) q += 1n;
  while (atLeastHalfBelow(q) < 0) q -= 1n;
  // Now q − ½ ≤ v < q + ½, except a tie v = q − ½ exactly, which goes to the even neighbour.
  if (atLeastHalfBelow(q) === 0 && q % 2n !== 0n) return q - 1n;
  return q;
}

/**
 * A micro-unit bigint as a canonical decimal string ("123.45", "-0.000001", "0").
 *
 * @example
 *   formatMicros(123450000n); // "123.45"
 */
export function formatMicros(value: bigint): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(7, "0");
  const whole = digits.slice(0, -6);
  const fraction = digits.slice(-6).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/**
 * A decimal string with at most 6 decimals as micro-units; throws for anything else.
 *
 * @example
 *   parseMicros("1.5"); // 1500000n
 */
export function parseMicros(text: string): bigint {
  const match = /^(-)?(\d+)(?:\.(\d{1,6}))?$/.exec(text);
  if (!match) throw new RangeError(`not a decimal with at most 6 places: ${JSON.stringify(text)}`);
  const [, sign, whole = "0", fraction = ""] = match;
  const value = BigInt(whole) * MICRO + BigInt(fraction.padEnd(6, "0"));
  return sign ? -value : value;
}
