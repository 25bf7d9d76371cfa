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
  /** One poll; `trigger` says whether the schedule or an operator (`runNow`) asked. */
  run: (trigger: "schedule" | "manual") => Promise<unknown>;
  now?: () => Date;
}

export interface ScheduleView {
  cron: string;
  timezone: string;
  regularHoursOnly: boolean;
  nextRunAt: string | null;
  /** The next few runs (at most 5, none while paused). */
  nextRuns: string[];
  /** Paused by an operator: no scheduled run starts until resumed. */
  paused: boolean;
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
  let started = false;
  let paused = false;
  let skippedOverlap = 0;
  let skippedOutsideHours = 0;
  const guarded = async (trigger: "schedule" | "manual") => {
    if (running) return { ran: false as const };
    running = true;
    try {
      return { ran: true as const, result: await options.run(trigger) };
    } finally {
      running = false;
    }
  };
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
      const outcome = await guarded("schedule");
      if (!outcome.ran) skippedOverlap += 1;
    },
  );
  return {
    start() {
      started = true;
      if (!paused) job.resume();
    },
    stop: () => job.stop(),
    /** Runs the job now, outside the schedule (used at start and by tests). */
    trigger: () => job.trigger(),
    /**
     * Polls now for an operator, outside the schedule and the market hours (never beside a poll
     * still running: `ran` is then false).
     */
    runNow: () => guarded("manual"),
    /** No scheduled run starts until `resume` (a poll already running finishes). */
    pause() {
      paused = true;
      job.pause();
    },
    resume() {
      paused = false;
      if (started) job.resume();
    },
    get paused() {
      return paused;
    },
    view(): ScheduleView {
      const active = !paused;
      return {
        cron: options.cron,
        timezone: options.timezone,
        regularHoursOnly: options.regularHoursOnly,
        nextRunAt: active ? (job.nextRun()?.toISOString() ?? null) : null,
        nextRuns: active ? job.nextRuns(5).map((at) => at.toISOString()) : [],
        paused,
        running,
        skippedOverlap,
        skippedOutsideHours,
      };
    },
  };
}

export type Schedule = ReturnType<typeof createSchedule>;
