/**
 * Exact decimals for prices: Avro `decimal(18, 6)` values are carried as canonical decimal
 * strings in the app and as two's-complement big-endian unscaled integers on the wire.
 * No fraction is ever rounded: values are integers of millionths (BigInt, or a safe integer on the
 * short paths).
 */

/** Decimal places every price in the contract carries (Avro `scale`). */
export const PRICE_SCALE = 6;
/** Maximum significant digits of a price (Avro `precision`). */
export const PRICE_PRECISION = 18;

/** Outcome of parsing a decimal: the unscaled integer, or why it was refused. */
export type DecimalParse = { ok: true; unscaled: bigint } | { ok: false; message: string };

const PLAIN = /^(-)?(\d+)(?:\.(\d+))?$/;
/** 10^0 … 10^38 as bigints: powers are looked up, not computed per value. */
const POW10 = Array.from({ length: 39 }, (_, i) => 10n ** BigInt(i));
const pow10 = (n: number) => POW10[n] ?? 10n ** BigInt(n);
const SCIENTIFIC = /^(-)?(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

/**
 * Parses a decimal string into its unscaled integer (value × 10^scale) without rounding.
 * Refuses more than `scale` decimals and more than `precision` significant digits.
 * Exponent notation is accepted only when `allowExponent` (used for JSON numbers).
 */
export function parseDecimal(
  text: string,
  scale = PRICE_SCALE,
  precision = PRICE_PRECISION,
  allowExponent = false,
): DecimalParse {
  const match = (allowExponent ? SCIENTIFIC : PLAIN).exec(text);
  if (!match) return { ok: false, message: `not a decimal number: ${JSON.stringify(text)}` };
  const [, sign, whole = "", fraction = "", exponentText] = match;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  let digits = `${whole}${fraction}`;
  let places = fraction.length - exponent;
  if (places < 0) {
    if (-places > precision) return tooPrecise(text, precision, scale);
    digits += "0".repeat(-places);
    places = 0;
  }
  if (places > scale) {
    return { ok: false, message: `${text} has more than ${scale} decimal places` };
  }
  const unscaled = BigInt(digits) * pow10(scale - places);
  if ((unscaled < 0n ? -unscaled : unscaled) >= pow10(precision))
    return tooPrecise(text, precision, scale);
  return { ok: true, unscaled: sign === "-" ? -unscaled : unscaled };
}

function tooPrecise(text: string, precision: number, scale: number): DecimalParse {
  const message = `${text} exceeds decimal(${precision}, ${scale}): at most ${precision - scale} digits before the decimal point`;
  return { ok: false, message };
}

/**
 * Canonical string of an unscaled decimal: no exponent, no leading zeros, no trailing
 * fractional zeros, no "+" and no "-0" (e.g. 123450000n → "123.45", 1n → "0.000001").
 */
export function formatDecimal(unscaled: bigint, scale = PRICE_SCALE): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/** Canonical form of a decimal string (see {@link formatDecimal}), or undefined if invalid. */
export function canonicalDecimal(text: string, scale = PRICE_SCALE): string | undefined {
  const parsed = parseDecimal(text, scale);
  return parsed.ok ? formatDecimal(parsed.unscaled, scale) : undefined;
}

/** Minimal two's-complement big-endian bytes of an integer (Avro decimal wire form). */
export function unscaledToBytes(value: bigint): Buffer {
  const bytes: number[] = [];
  let rest = value;
  for (;;) {
    const byte = Number(rest & 0xffn);
    bytes.unshift(byte);
    rest >>= 8n;
    const signBitSet = (byte & 0x80) !== 0;
    if ((rest === 0n && !signBitSet) || (rest === -1n && signBitSet)) break;
  }
  return Buffer.from(bytes);
}

/** Digits a safe integer always holds (10^15 < 2^53): the bound of the BigInt-free paths below. */
const SAFE_DIGITS = 15;

/**
 * The unscaled integer of a plain decimal string (as {@link parseDecimal} reads it) when it fits
 * in 15 digits at `scale`, as a safe integer — exact integer arithmetic, no BigInt, no fraction
 * ever rounded; undefined for anything else (more places than `scale`, longer values, exponents,
 * malformed text), which {@link parseDecimal} then settles. The hot paths' shortcut: a price per
 * tick and per bar.
 */
export function unscaledNumber(
  text: string,
  scale = PRICE_SCALE,
  precision = PRICE_PRECISION,
): number | undefined {
  const length = text.length;
  if (length === 0 || length > SAFE_DIGITS + 2) return undefined;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  const negative = i === 1;
  let value = 0;
  let digits = 0;
  let places = -1;
  for (; i < length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      value = value * 10 + (code - 48);
      digits += 1;
      if (places >= 0) places += 1;
    } else if (code === 46 && places < 0 && digits > 0 && i < length - 1) places = 0;
    else return undefined;
  }
  if (digits === 0) return undefined;
  if (places < 0) places = 0;
  if (places > scale || digits + scale - places > Math.min(SAFE_DIGITS, precision))
    return undefined;
  const unscaled = value * 10 ** (scale - places);
  return negative && unscaled !== 0 ? -unscaled : unscaled;
}

/** {@link unscaledToBytes} of a safe integer, without BigInt: the same minimal two's complement. */
export function safeIntegerBytes(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(safeIntegerLength(value));
  writeSafeInteger(bytes, 0, value, bytes.length);
  return bytes;
}

/** How many bytes {@link safeIntegerBytes} takes for `value` (1 to 7). */
export function safeIntegerLength(value: number): number {
  let size = 1;
  let bound = 128;
  while (value >= bound || value < -bound) {
    size += 1;
    bound *= 256;
  }
  return size;
}

/** Writes {@link safeIntegerBytes} of `value` into `target[at, at + size)`, big-endian. */
export function writeSafeInteger(target: Buffer, at: number, value: number, size: number): void {
  let rest = value;
  for (let i = at + size - 1; i >= at; i -= 1) {
    target[i] = ((rest % 256) + 256) % 256;
    rest = Math.floor(rest / 256);
  }
}

/** Integer from two's-complement big-endian bytes (empty bytes read as 0). */
export function bytesToUnscaled(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  const first = bytes[0];
  if (first !== undefined && (first & 0x80) !== 0) value -= 1n << BigInt(8 * bytes.length);
  return value;
}

/**
 * `numerator / denominator` for non-negative integers, rounded half to even (banker's rounding):
 * VWAP of bars and their rollups.
 */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const twice = (numerator % denominator) * 2n;
  if (twice > denominator || (twice === denominator && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}
