import { describe, expect, test } from "bun:test";
import { calendarDate } from "./dates.ts";

const refusal = (text: unknown) => {
  const result = calendarDate.safeParse(text);
  return result.success ? undefined : result.error.issues.map((i) => i.message);
};

describe("calendarDate", () => {
  test("accepts a day that exists, leap days included, as the same text", () => {
    expect(calendarDate.parse("2026-11-20")).toBe("2026-11-20");
    expect(calendarDate.parse("2028-02-29")).toBe("2028-02-29");
  });

  test("refuses a day the calendar does not have", () => {
    expect(refusal("2026-02-29")).toEqual(["must be a real date"]);
    expect(refusal("2026-13-01")).toEqual(["must be a real date"]);
    expect(refusal("2026-04-31")).toEqual(["must be a real date"]);
  });

  test("refuses anything but YYYY-MM-DD", () => {
    for (const text of ["2026-1-05", "20261105", "2026-11-20T00:00:00Z", " 2026-11-20", ""])
      expect(refusal(text)).toContain("must be a date YYYY-MM-DD");
    expect(refusal(20261120)).toBeDefined();
  });
});
