import { parseDecimal } from "@repo/contracts";

/**
 * The unscaled decimal(18,6) of a stored price text ("187.25" → 187250000n); throws for a text that
 * is not one (the bar cannot be computed from it).
 *
 * @example
 *   unscaled("187.25"); // 187250000n
 */
export function unscaled(price: string): bigint {
  const units = plainUnits(price);
  if (units !== undefined) return BigInt(units);
  const parsed = parseDecimal(price, 6, 18, true);
  if (!parsed.ok)
    throw new Error(`stored price ${price} is not a decimal(18,6): ${parsed.message}`);
  return parsed.unscaled;
}

/**
 * Millionths of a plain decimal ("187.25" → 187250000) in one pass, without a regex or BigInt
 * arithmetic; undefined for anything else (more than 6 decimals, an exponent, beyond 2^53), which
 * {@link unscaled} hands to `parseDecimal` for its value or its message.
 */
function plainUnits(text: string): number | undefined {
  const length = text.length;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  const negative = i === 1;
  let value = 0;
  let digits = 0;
  let decimals = -1;
  for (; i < length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      value = value * 10 + (code - 48);
      digits += 1;
      if (decimals >= 0) decimals += 1;
    } else if (code === 46 && decimals < 0 && digits > 0 && i < length - 1) decimals = 0;
    else return undefined;
  }
  if (digits === 0 || digits > 15 || decimals > 6) return undefined;
  const units = value * 10 ** (6 - Math.max(decimals, 0));
  if (units > Number.MAX_SAFE_INTEGER) return undefined;
  return negative ? -units : units;
}
