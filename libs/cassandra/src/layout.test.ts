import { expect, test } from "bun:test";
import { BARS_1M, columnList, INGEST_PROVIDER_STATE, insertInto } from "./layout.ts";
import { partitionDay } from "./local-date.ts";
import { DAY_US, dayOf, daysOf, MINUTE_US, minuteStart, partitionKey } from "./time.ts";

const at = (iso: string) => Date.parse(iso) * 1000;

test("a time belongs to the UTC day and minute that contain it, the last microsecond included", () => {
  expect(dayOf(at("2026-01-05T23:59:59.999Z") + 999)).toBe("2026-01-05");
  expect(dayOf(at("2026-01-06T00:00:00Z"))).toBe("2026-01-06");
  expect(dayOf(-1)).toBe("1969-12-31");
  expect(minuteStart(at("2026-01-05T15:30:59.999Z") + 999)).toBe(at("2026-01-05T15:30:00Z"));
  expect(partitionDay(at("2026-01-05T12:00:00Z")).toString()).toBe("2026-01-05");
  expect(partitionKey("AAPL", at("2026-01-05T12:00:00Z"))).toBe("AAPL|2026-01-05");
  expect(DAY_US / MINUTE_US).toBe(1440);
});

test("the partition day of ticks alternating across midnight is each one's own day", () => {
  const times = ["2026-01-05T23:59:59.999Z", "2026-01-06T00:00:00Z", "2026-01-05T12:00:00Z"];
  for (const iso of [...times, ...times.reverse(), "1969-12-31T23:59:59Z"])
    expect(partitionDay(at(iso)).toString()).toBe(iso.slice(0, 10));
});

test("a range touches every day partition it overlaps, its end excluded", () => {
  const days = daysOf(at("2026-01-05T23:00:00Z"), at("2026-01-07T00:00:00Z")).map(dayOf);
  expect(days).toEqual(["2026-01-05", "2026-01-06"]);
  expect(daysOf(at("2026-01-06T00:00:00Z"), at("2026-01-06T00:00:00Z"))).toEqual([]);
});

test("statements list the layout's columns in the order asked, every column by default", () => {
  expect(columnList(BARS_1M, ["minute", "close"])).toBe("minute, close");
  expect(insertInto(INGEST_PROVIDER_STATE)).toBe(
    "INSERT INTO ingest_provider_state (provider, paused, changed_at, changed_by) VALUES (?, ?, ?, ?)",
  );
});
