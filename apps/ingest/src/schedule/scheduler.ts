import type { Logger } from "@repo/platform/log";
import { Cron } from "croner";
import { isMarketOpen } from "./calendar.ts";

export interface ScheduleOptions {
  name: string;
  /** Cron expression; a leading seconds field is allowed (`*\/5 * * * * *`). */
  cron: string;
  timezone: string;
  regularHoursOnly: boolean;
  log: Logger;
  run: () => Promise<void>;
  now?: () => Date;
}

export interface ScheduleView {
  cron: string;
  timezone: string;
  regularHoursOnly: boolean;
  nextRunAt: string | null;
  running: boolean;
  skippedOverlap: number;
  skippedOutsideHours: number;
}

/**
 * Polls one provider on its croner schedule in `timezone`. A run still going when the next is due
 * is not overlapped (`protect`), and when asked, runs outside the exchange's regular session
 * (weekends, holidays, after an early close; see `calendar.ts`) are skipped; both are counted in
 * the view shown by `/stats`.
 *
 * @example
 *   const schedule = createSchedule({ name: "alpaca", cron: "*\/15 * * * * *", timezone: "America/New_York",
 *     regularHoursOnly: true, log, run: () => ingest.poll(alpaca) });
 *   schedule.view().nextRunAt; // "2026-01-05T15:00:15.000Z"
 */
export function createSchedule(options: ScheduleOptions) {
  const now = options.now ?? (() => new Date());
  let running = false;
  let skippedOverlap = 0;
  let skippedOutsideHours = 0;
  const job = new Cron(
    options.cron,
    {
      name: `poll-${options.name}`,
      timezone: options.timezone,
      paused: true,
      protect: () => {
        skippedOverlap += 1;
      },
      catch: (error: unknown) =>
        options.log.error({ err: error, provider: options.name }, "scheduled poll failed"),
    },
    async () => {
      if (options.regularHoursOnly && !isMarketOpen(now())) {
        skippedOutsideHours += 1;
        return;
      }
      running = true;
      try {
        await options.run();
      } finally {
        running = false;
      }
    },
  );
  return {
    start: () => job.resume(),
    stop: () => job.stop(),
    /** Runs the job now, outside the schedule (used at start and by tests). */
    trigger: () => job.trigger(),
    view(): ScheduleView {
      return {
        cron: options.cron,
        timezone: options.timezone,
        regularHoursOnly: options.regularHoursOnly,
        nextRunAt: job.nextRun()?.toISOString() ?? null,
        running,
        skippedOverlap,
        skippedOutsideHours,
      };
    },
  };
}

export type Schedule = ReturnType<typeof createSchedule>;
