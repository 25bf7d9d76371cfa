import { type DecimalValue, parseDecimal, unscaledNumber } from "@repo/contracts";

/**
 * The unscaled decimal(18,6) of a price: a count of millionths as it is (187250000 → 187250000n),
 * or a text parsed ("187.25" → 187250000n); throws for a text that is not one (the bar cannot be
 * computed from it).
 *
 * @example
 *   unscaled("187.25"); // 187250000n
 *   unscaled(187250000); // 187250000n
 */
export function unscaled(price: DecimalValue): bigint {
  if (typeof price === "number") return BigInt(price);
  const units = unscaledNumber(price);
  if (units !== undefined) return BigInt(units);
  const parsed = parseDecimal(price, 6, 18, true);
  if (!parsed.ok)
    throw new Error(`stored price ${price} is not a decimal(18,6): ${parsed.message}`);
  return parsed.unscaled;
}
