const WEEKDAYS = new Set(["Mon", "Tue", "Wed", "Thu", "Fri"]);

/**
 * Whether `at` falls in regular US equity trading hours (Mon–Fri 09:30–16:00) in `timeZone`.
 * Exchange holidays are not known here.
 *
 * @example
 *   isRegularTradingHours(new Date("2026-01-05T15:00:00Z")); // true: 10:00 in New York, a Monday
 */
export function isRegularTradingHours(at: Date, timeZone = "America/New_York"): boolean {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const minutes = Number(part("hour")) * 60 + Number(part("minute"));
  return WEEKDAYS.has(part("weekday")) && minutes >= 9 * 60 + 30 && minutes < 16 * 60;
}
