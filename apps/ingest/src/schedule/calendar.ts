/**
 * The US equity market calendar (NYSE/Nasdaq rules): regular sessions 09:30–16:00 New York time on
 * weekdays, full-day holidays computed by rule with their observed dates, 13:00 early closes, and
 * the few unscheduled closures the exchanges declared (storms, national days of mourning).
 */

export const EXCHANGE_TIME_ZONE = "America/New_York";

const OPEN_MINUTE = 9 * 60 + 30;
const CLOSE_MINUTE = 16 * 60;
const EARLY_CLOSE_MINUTE = 13 * 60;

export interface Holiday {
  /** New York calendar date, `YYYY-MM-DD`. */
  date: string;
  name: string;
}

export interface TradingSession {
  /** New York calendar date, `YYYY-MM-DD`. */
  date: string;
  open: Date;
  close: Date;
  /** Closes at 13:00 (the day before Independence Day, after Thanksgiving, Christmas Eve). */
  earlyClose: boolean;
}

/** Closures declared by the exchanges that no rule predicts. */
const UNSCHEDULED_CLOSURES: readonly Holiday[] = [
  { date: "2001-09-11", name: "September 11 attacks" },
  { date: "2001-09-12", name: "September 11 attacks" },
  { date: "2001-09-13", name: "September 11 attacks" },
  { date: "2001-09-14", name: "September 11 attacks" },
  { date: "2004-06-11", name: "National Day of Mourning (Ronald Reagan)" },
  { date: "2007-01-02", name: "National Day of Mourning (Gerald Ford)" },
  { date: "2012-10-29", name: "Hurricane Sandy" },
  { date: "2012-10-30", name: "Hurricane Sandy" },
  { date: "2018-12-05", name: "National Day of Mourning (George H. W. Bush)" },
  { date: "2025-01-09", name: "National Day of Mourning (Jimmy Carter)" },
];

const SUNDAY = 0;
const MONDAY = 1;
const THURSDAY = 4;
const SATURDAY = 6;

const civil = (year: number, month: number, day: number) =>
  new Date(Date.UTC(year, month - 1, day));
const iso = (date: Date) => date.toISOString().slice(0, 10);
const addDays = (date: Date, days: number) => new Date(date.getTime() + days * 86_400_000);

/** The `n`th (1-based) `weekday` of a month. */
function nthWeekday(year: number, month: number, weekday: number, n: number): Date {
  const first = civil(year, month, 1);
  return addDays(first, ((weekday - first.getUTCDay() + 7) % 7) + (n - 1) * 7);
}

function lastWeekday(year: number, month: number, weekday: number): Date {
  const last = civil(year, month + 1, 0);
  return addDays(last, -((last.getUTCDay() - weekday + 7) % 7));
}

/**
 * Easter Sunday of a Gregorian year (the anonymous Gregorian computus).
 *
 * @example
 *   easterSunday(2026); // 2026-04-05
 */
export function easterSunday(year: number): Date {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return civil(year, month, day);
}

/** A fixed-date holiday on a Saturday is observed the Friday before, on a Sunday the Monday after. */
function observed(date: Date): Date {
  const weekday = date.getUTCDay();
  if (weekday === SATURDAY) return addDays(date, -1);
  if (weekday === SUNDAY) return addDays(date, 1);
  return date;
}

const holidayCache = new Map<number, Holiday[]>();

/**
 * The full-day exchange holidays of a year, as observed, including unscheduled closures.
 * New Year's Day on a Saturday is not observed on the Friday before (it would fall in the old year).
 *
 * @example
 *   holidays(2026).map((h) => h.date); // ["2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", …]
 */
export function holidays(year: number): Holiday[] {
  const cached = holidayCache.get(year);
  if (cached) return cached;
  const list: Holiday[] = [];
  const add = (date: Date, name: string) => list.push({ date: iso(date), name });
  const newYear = civil(year, 1, 1);
  if (newYear.getUTCDay() !== SATURDAY) add(observed(newYear), "New Year's Day");
  if (year >= 1998) add(nthWeekday(year, 1, MONDAY, 3), "Martin Luther King Jr. Day");
  add(nthWeekday(year, 2, MONDAY, 3), "Washington's Birthday");
  add(addDays(easterSunday(year), -2), "Good Friday");
  add(lastWeekday(year, 5, MONDAY), "Memorial Day");
  if (year >= 2022) add(observed(civil(year, 6, 19)), "Juneteenth National Independence Day");
  add(observed(civil(year, 7, 4)), "Independence Day");
  add(nthWeekday(year, 9, MONDAY, 1), "Labor Day");
  add(nthWeekday(year, 11, THURSDAY, 4), "Thanksgiving Day");
  add(observed(civil(year, 12, 25)), "Christmas Day");
  for (const closure of UNSCHEDULED_CLOSURES)
    if (closure.date.startsWith(`${year}-`)) list.push(closure);
  list.sort((a, b) => a.date.localeCompare(b.date));
  holidayCache.set(year, list);
  return list;
}

/**
 * The 13:00 early closes of a year: July 3 when it falls Monday–Thursday, the day after
 * Thanksgiving, and Christmas Eve when it falls Monday–Thursday.
 *
 * @example
 *   earlyCloses(2026).map((h) => h.date); // ["2026-11-27", "2026-12-24"]
 */
export function earlyCloses(year: number): Holiday[] {
  const list: Holiday[] = [];
  const weekdayBefore = (date: Date) => date.getUTCDay() >= MONDAY && date.getUTCDay() <= THURSDAY;
  const july3 = civil(year, 7, 3);
  if (weekdayBefore(july3)) list.push({ date: iso(july3), name: "Independence Day eve" });
  list.push({
    date: iso(addDays(nthWeekday(year, 11, THURSDAY, 4), 1)),
    name: "Day after Thanksgiving",
  });
  const christmasEve = civil(year, 12, 24);
  if (weekdayBefore(christmasEve)) list.push({ date: iso(christmasEve), name: "Christmas Eve" });
  const closed = new Set(holidays(year).map((h) => h.date));
  return list.filter((h) => !closed.has(h.date));
}

/**
 * The regular session on a New York calendar date, or undefined on weekends and holidays.
 *
 * @example
 *   tradingSession("2026-11-27"); // { open: 14:30Z, close: 18:00Z, earlyClose: true, … }
 *   tradingSession("2026-11-26"); // undefined: Thanksgiving
 */
export function tradingSession(date: string): TradingSession | undefined {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const weekday = civil(year, month, day).getUTCDay();
  if (weekday === SATURDAY || weekday === SUNDAY) return undefined;
  if (holidays(year).some((h) => h.date === date)) return undefined;
  const earlyClose = earlyCloses(year).some((h) => h.date === date);
  return {
    date,
    open: new Date(exchangeInstant(year, month, day, OPEN_MINUTE)),
    close: new Date(
      exchangeInstant(year, month, day, earlyClose ? EARLY_CLOSE_MINUTE : CLOSE_MINUTE),
    ),
    earlyClose,
  };
}

/**
 * Whether the regular session is open at `at` (holidays and early closes included).
 *
 * @example
 *   isMarketOpen(new Date("2026-04-03T15:00:00Z")); // false: Good Friday
 */
export function isMarketOpen(at: Date): boolean {
  const session = tradingSession(exchangeDate(at));
  return session !== undefined && at >= session.open && at < session.close;
}

/**
 * The session open at `at`, or else the next one to open.
 *
 * @example
 *   currentOrNextSession(new Date("2026-12-24T19:00:00Z")).date; // "2026-12-28": early close, then Christmas
 */
export function currentOrNextSession(at: Date): TradingSession {
  let date = civil(...(exchangeDate(at).split("-").map(Number) as [number, number, number]));
  for (let i = 0; i < 30; i += 1, date = addDays(date, 1)) {
    const session = tradingSession(iso(date));
    if (session && session.close > at) return session;
  }
  throw new Error(`no trading session within 30 days of ${at.toISOString()}`);
}

/** The sessions whose date lies in [from, to), in order. */
export function sessionsBetween(from: string, to: string): TradingSession[] {
  const sessions: TradingSession[] = [];
  for (let date = new Date(`${from}T00:00:00Z`); iso(date) < to; date = addDays(date, 1)) {
    const session = tradingSession(iso(date));
    if (session) sessions.push(session);
  }
  return sessions;
}

const dateFormat = new Intl.DateTimeFormat("en-CA", {
  timeZone: EXCHANGE_TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});
const partsFormat = new Intl.DateTimeFormat("en-US", {
  timeZone: EXCHANGE_TIME_ZONE,
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
  hourCycle: "h23",
});

/** The New York calendar date of an instant, `YYYY-MM-DD`. */
export function exchangeDate(at: Date): string {
  return dateFormat.format(at);
}

/** Milliseconds New York time is ahead of UTC at `epochMs` (negative: −4 h or −5 h). */
function offsetAt(epochMs: number): number {
  const part = (parts: Intl.DateTimeFormatPart[], type: string) =>
    Number(parts.find((p) => p.type === type)?.value);
  const parts = partsFormat.formatToParts(epochMs);
  const wall = Date.UTC(
    part(parts, "year"),
    part(parts, "month") - 1,
    part(parts, "day"),
    part(parts, "hour"),
    part(parts, "minute"),
    part(parts, "second"),
  );
  return wall - Math.floor(epochMs / 1000) * 1000;
}

/** The instant of a New York wall-clock time (minutes after midnight) on a date. */
function exchangeInstant(year: number, month: number, day: number, minute: number): number {
  const wall = Date.UTC(year, month - 1, day, 0, minute);
  const first = wall - offsetAt(wall);
  const second = wall - offsetAt(first);
  return second;
}

/**
 * The instants a New York calendar date begins and ends (the next midnight), across daylight saving.
 *
 * @example
 *   exchangeDay("2026-11-20"); // { start: 2026-11-20T05:00:00Z, end: 2026-11-21T05:00:00Z }
 */
export function exchangeDay(date: string): { start: Date; end: Date } {
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const next = addDays(civil(year, month, day), 1);
  return {
    start: new Date(exchangeInstant(year, month, day, 0)),
    end: new Date(
      exchangeInstant(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0),
    ),
  };
}
