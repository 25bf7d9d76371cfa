import { canonicalDecimal, parseTimestamp } from "@repo/contracts";

/**
 * A provider's JSON price as a contract decimal string. Finite numbers are written with at most
 * 6 decimals; anything else is passed through unchanged so the quality gates name the problem
 * (`NaN`/`Infinity` → non_positive_price, text → schema_invalid).
 *
 * @example
 *   priceText(187.25); // "187.25"
 */
export function priceText(value: unknown): unknown {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    return canonicalDecimal(value.toFixed(6)) ?? String(value);
  }
  return value;
}

/**
 * An RFC 3339 time (providers send up to nanoseconds) as microseconds since the epoch;
 * digits beyond microseconds are truncated. Unreadable values pass through for the gates.
 *
 * @example
 *   microsFromIso("2026-01-05T14:30:00.123456789Z"); // 1767623400123456
 */
export function microsFromIso(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const truncated = value.replace(/(\.\d{6})\d+/, "$1");
  const parsed = parseTimestamp(truncated);
  return parsed.ok ? parsed.micros : value;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
