import { expect, test } from "bun:test";
import { formatTimestamp, parseTimestamp } from "./timestamp.ts";

const micros = (text: string) => {
  const parsed = parseTimestamp(text);
  return parsed.ok ? parsed.micros : parsed.message;
};

test("microseconds are preserved exactly", () => {
  expect(micros("2026-11-26T14:30:00.123456Z")).toBe(1_795_703_400_123_456);
  expect(formatTimestamp(1_795_703_400_123_456)).toBe("2026-11-26T14:30:00.123456Z");
  expect(micros("2026-11-26T14:30:00.000001Z")).toBe(1_795_703_400_000_001);
  expect(micros("2026-11-26T14:30:00Z")).toBe(1_795_703_400_000_000);
  expect(micros("2026-11-26T14:30:00.5Z")).toBe(1_795_703_400_500_000);
});

test("output is always UTC with 6 fractional digits", () => {
  expect(formatTimestamp(0)).toBe("1970-01-01T00:00:00.000000Z");
  expect(formatTimestamp(-1)).toBe("1969-12-31T23:59:59.999999Z");
  expect(formatTimestamp(1_795_703_400_500_000)).toBe("2026-11-26T14:30:00.500000Z");
});

test("an explicit offset is normalised to UTC", () => {
  expect(micros("2026-11-26T15:30:00.123456+01:00")).toBe(1_795_703_400_123_456);
  expect(micros("2026-11-26T09:00:00.123456-05:30")).toBe(1_795_703_400_123_456);
});

test("ambiguous, over-precise or impossible times are refused", () => {
  for (const text of [
    "2026-11-26T14:30:00",
    "2026-11-26T14:30:00.1234567Z",
    "2026-11-26 14:30:00Z",
    "2026-02-30T00:00:00Z",
    "2026-11-26T24:00:00Z",
    "2026-11-26T14:30:60Z",
    "2026-11-26T14:30:00+25:00",
    "1795703400123456",
  ]) {
    expect(typeof micros(text)).toBe("string");
  }
});
