import {
  currentOrNextSession,
  EXCHANGE_TIME_ZONE,
  earlyCloses,
  exchangeDate,
  holidays,
  isMarketOpen,
  sessionsBetween,
} from "../schedule/calendar.ts";

const DAY_MS = 86_400_000;

/**
 * The exchange calendar as `GET /calendar` shows it: whether the regular session is open now, the
 * current or next session, the sessions of the next `days` days, and the holidays and early closes
 * in that window.
 *
 * @example
 *   calendarAhead(new Date("2026-12-23T15:00:00Z"), 7).earlyCloses; // [{ date: "2026-12-24", name: "Christmas Eve" }]
 */
export function calendarAhead(now: Date, days: number) {
  const from = exchangeDate(now);
  const to = exchangeDate(new Date(now.getTime() + days * DAY_MS));
  const years = new Set([Number(from.slice(0, 4)), Number(to.slice(0, 4))]);
  const within = (date: string) => date >= from && date < to;
  const session = (s: ReturnType<typeof currentOrNextSession>) => ({
    date: s.date,
    open: s.open.toISOString(),
    close: s.close.toISOString(),
    earlyClose: s.earlyClose,
  });
  return {
    timezone: EXCHANGE_TIME_ZONE,
    now: now.toISOString(),
    open: isMarketOpen(now),
    session: session(currentOrNextSession(now)),
    sessions: sessionsBetween(from, to).map(session),
    holidays: [...years].flatMap(holidays).filter((h) => within(h.date)),
    earlyCloses: [...years].flatMap(earlyCloses).filter((h) => within(h.date)),
  };
}
