import { describe, expect, test } from "bun:test";
import {
  currentOrNextSession,
  earlyCloses,
  easterSunday,
  exchangeDay,
  holidays,
  isMarketOpen,
  sessionsBetween,
  tradingSession,
} from "./calendar.ts";

const dates = (list: { date: string }[]) => list.map((h) => h.date);

describe("US equity market calendar", () => {
  test("Easter by the Gregorian computus, so Good Friday lands on the published dates", () => {
    const easter = (year: number) => easterSunday(year).toISOString().slice(0, 10);
    expect(easter(2008)).toBe("2008-03-23");
    expect(easter(2019)).toBe("2019-04-21");
    expect(easter(2024)).toBe("2024-03-31");
    expect(easter(2025)).toBe("2025-04-20");
    expect(easter(2026)).toBe("2026-04-05");
    expect(easter(2027)).toBe("2027-03-28");
    expect(easter(2038)).toBe("2038-04-25");
  });

  test("holidays equal NYSE's published calendars for 2025–2027, observed dates included", () => {
    expect(dates(holidays(2025))).toEqual([
      "2025-01-01",
      "2025-01-09", // national day of mourning, declared, not computed
      "2025-01-20",
      "2025-02-17",
      "2025-04-18",
      "2025-05-26",
      "2025-06-19",
      "2025-07-04",
      "2025-09-01",
      "2025-11-27",
      "2025-12-25",
    ]);
    expect(dates(holidays(2026))).toEqual([
      "2026-01-01",
      "2026-01-19",
      "2026-02-16",
      "2026-04-03",
      "2026-05-25",
      "2026-06-19",
      "2026-07-03", // July 4 is a Saturday
      "2026-09-07",
      "2026-11-26",
      "2026-12-25",
    ]);
    expect(dates(holidays(2027))).toEqual([
      "2027-01-01",
      "2027-01-18",
      "2027-02-15",
      "2027-03-26",
      "2027-05-31",
      "2027-06-18", // Juneteenth on a Saturday
      "2027-07-05", // July 4 on a Sunday
      "2027-09-06",
      "2027-11-25",
      "2027-12-24", // Christmas on a Saturday
    ]);
  });

  test("New Year's Day on a Saturday is not observed on the Friday before; Juneteenth only since 2022", () => {
    expect(dates(holidays(2022))[0]).toBe("2022-01-17"); // 2022-01-01 was a Saturday
    expect(tradingSession("2021-12-31")).toBeDefined();
    expect(dates(holidays(2021))).not.toContain("2021-06-18");
    expect(dates(holidays(2021))).toContain("2021-12-24"); // Christmas 2021 on a Saturday
    expect(dates(holidays(2023))).toContain("2023-01-02"); // New Year's Day on a Sunday
  });

  test("early closes at 13:00: July 3 Mon–Thu, the day after Thanksgiving, Christmas Eve Mon–Thu", () => {
    expect(dates(earlyCloses(2025))).toEqual(["2025-07-03", "2025-11-28", "2025-12-24"]);
    expect(dates(earlyCloses(2026))).toEqual(["2026-11-27", "2026-12-24"]);
    expect(dates(earlyCloses(2027))).toEqual(["2027-11-26"]);
    const blackFriday = tradingSession("2026-11-27");
    expect(blackFriday?.earlyClose).toBe(true);
    expect(blackFriday?.open.toISOString()).toBe("2026-11-27T14:30:00.000Z");
    expect(blackFriday?.close.toISOString()).toBe("2026-11-27T18:00:00.000Z");
    expect(isMarketOpen(new Date("2026-11-27T17:59:59Z"))).toBe(true);
    expect(isMarketOpen(new Date("2026-11-27T18:00:00Z"))).toBe(false);
  });

  test("sessions are 09:30–16:00 New York time across daylight saving", () => {
    expect(tradingSession("2026-01-05")?.open.toISOString()).toBe("2026-01-05T14:30:00.000Z");
    expect(tradingSession("2026-01-05")?.close.toISOString()).toBe("2026-01-05T21:00:00.000Z");
    expect(tradingSession("2026-07-06")?.open.toISOString()).toBe("2026-07-06T13:30:00.000Z");
    // The Monday after the spring change and the one after the autumn change.
    expect(tradingSession("2026-03-09")?.open.toISOString()).toBe("2026-03-09T13:30:00.000Z");
    expect(tradingSession("2026-11-02")?.open.toISOString()).toBe("2026-11-02T14:30:00.000Z");
    expect(isMarketOpen(new Date("2026-01-05T14:29:59Z"))).toBe(false);
    expect(isMarketOpen(new Date("2026-01-05T14:30:00Z"))).toBe(true);
    expect(isMarketOpen(new Date("2026-01-05T21:00:00Z"))).toBe(false);
    expect(isMarketOpen(new Date("2026-01-04T15:00:00Z"))).toBe(false); // Sunday
    expect(isMarketOpen(new Date("2026-04-03T15:00:00Z"))).toBe(false); // Good Friday
  });

  test("the next session skips weekends, holidays and the rest of an early-closed day", () => {
    expect(currentOrNextSession(new Date("2026-12-24T19:00:00Z")).date).toBe("2026-12-28");
    expect(currentOrNextSession(new Date("2026-12-24T15:00:00Z")).date).toBe("2026-12-24");
    expect(currentOrNextSession(new Date("2026-04-02T21:00:00Z")).date).toBe("2026-04-06");
    expect(currentOrNextSession(new Date("2026-01-05T03:00:00Z")).open.toISOString()).toBe(
      "2026-01-05T14:30:00.000Z",
    );
    expect(sessionsBetween("2026-11-20", "2026-11-30").map((s) => s.date)).toEqual([
      "2026-11-20",
      "2026-11-23",
      "2026-11-24",
      "2026-11-25",
      "2026-11-27",
    ]);
  });
});

test("a New York day spans 24 hours from local midnight, 23 or 25 on the daylight-saving Sundays", () => {
  const hours = (date: string) => {
    const { start, end } = exchangeDay(date);
    return (end.getTime() - start.getTime()) / 3_600_000;
  };
  expect(exchangeDay("2026-11-20").start.toISOString()).toBe("2026-11-20T05:00:00.000Z");
  expect(exchangeDay("2026-07-06").start.toISOString()).toBe("2026-07-06T04:00:00.000Z");
  expect(hours("2026-11-20")).toBe(24);
  expect(hours("2026-03-08")).toBe(23);
  expect(hours("2026-11-01")).toBe(25);
});
