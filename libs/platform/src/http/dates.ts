import { z } from "zod";

const DATE = /^\d{4}-\d\d-\d\d$/;

/**
 * A calendar date as `YYYY-MM-DD` that exists (`2026-02-30` is refused), for query parameters and
 * bodies that name days (backfills, calendars). The text is kept as it came.
 *
 * @example
 *   const body = z.object({ from: calendarDate, to: calendarDate });
 *   body.parse({ from: "2026-11-20", to: "2026-11-21" });
 */
export const calendarDate = z
  .string()
  .regex(DATE, "must be a date YYYY-MM-DD")
  .refine((text) => {
    const parsed = Date.parse(`${text}T00:00:00Z`);
    return !Number.isNaN(parsed) && new Date(parsed).toISOString().slice(0, 10) === text;
  }, "must be a real date");
