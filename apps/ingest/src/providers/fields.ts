import { createHash } from "node:crypto";
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

/**
 * An RFC 3339 time as nanoseconds since the epoch (decimal text), however many fraction digits the
 * provider wrote: `…:45.3356Z` and `…:45.335600000Z` give the same text. Undefined when unreadable.
 *
 * @example
 *   nanosFromIso("2021-02-22T15:51:45.335689322Z"); // "1614009105335689322"
 */
export function nanosFromIso(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(value);
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (!Number.isFinite(seconds)) return undefined;
  return (BigInt(seconds) * 1_000_000n + BigInt((match[2] ?? "").padEnd(9, "0"))).toString();
}

/**
 * A deterministic sequence for an event the provider gives no id: derived from the event's content
 * (`key`: every field that tells two events apart, normalised), so the same event gets the same
 * identity however it reaches us (stream, gap recovery, backfill, replay). `occurrence` numbers
 * identical events reported together (0, 1, …). Below 2^53, non-negative.
 *
 * @example
 *   contentSequence("AAPL|1672348887195|122.1|1|1,8,24,12"); // a stable 53-bit integer
 */
export function contentSequence(key: string, occurrence = 0): number {
  const digest = createHash("sha256").update(key).digest();
  const high = digest.readUIntBE(0, 6) % 2 ** 47;
  return high * 64 + Math.min(Math.max(0, occurrence), 63);
}
