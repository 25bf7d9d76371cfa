/**
 * ISO-8601 ⇄ Avro `timestamp-micros` (microseconds since the Unix epoch), exactly: no Date
 * arithmetic on fractions, no rounding.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/;

/** Outcome of parsing a timestamp. */
export type TimestampParse = { ok: true; micros: number } | { ok: false; message: string };

/**
 * Parses `2026-11-26T14:30:00.123456Z` (0–6 fractional digits) into microseconds.
 * An explicit offset (`+01:00`) is accepted and normalised to UTC; a time without an offset,
 * or with more than 6 fractional digits, is refused.
 */
export function parseTimestamp(text: string): TimestampParse {
  const match = ISO.exec(text);
  if (!match) {
    return {
      ok: false,
      message: `expected an ISO-8601 time with offset and at most 6 fractional digits like 2026-11-26T14:30:00.123456Z, got ${JSON.stringify(text)}`,
    };
  }
  const [, y, mo, d, h, mi, s, fraction = "", offset = "Z"] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(millis);
  const fieldsMatch =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute;
  if (!fieldsMatch || second > 59 || (offset !== "Z" && !validOffset(offset))) {
    return { ok: false, message: `not a valid calendar time: ${JSON.stringify(text)}` };
  }
  const micros =
    millis * 1000 + Number(fraction.padEnd(6, "0")) - offsetMinutes(offset) * 60_000_000;
  if (!Number.isSafeInteger(micros)) return { ok: false, message: `${text} is out of range` };
  return { ok: true, micros };
}

function validOffset(offset: string): boolean {
  return Number(offset.slice(1, 3)) <= 23 && Number(offset.slice(4, 6)) <= 59;
}

function offsetMinutes(offset: string): number {
  if (offset === "Z") return 0;
  const minutes = Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6));
  return offset.startsWith("-") ? -minutes : minutes;
}

/** Formats microseconds as UTC ISO-8601 with exactly 6 fractional digits (`…:00.123456Z`). */
export function formatTimestamp(micros: number): string {
  if (!Number.isSafeInteger(micros))
    throw new RangeError(`not an integer of microseconds: ${micros}`);
  const millis = Math.floor(micros / 1000);
  const subMillis = micros - millis * 1000;
  return new Date(millis).toISOString().replace(/Z$/, `${String(subMillis).padStart(3, "0")}Z`);
}
