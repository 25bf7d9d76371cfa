import { describe, expect, test } from "bun:test";
import { until } from "@repo/testkit";
import { captureLog } from "../testing/capture-log.ts";
import { createSchedule } from "./scheduler.ts";

describe("provider schedule", () => {
  test("a seconds-resolution cron runs the poll, never overlapping a run still going", async () => {
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    let finishRun: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      finishRun = resolve;
    });
    const schedule = createSchedule({
      name: "slow",
      cron: "* * * * * *",
      timezone: "America/New_York",
      regularHoursOnly: false,
      log: captureLog().log,
      run: async () => {
        runs += 1;
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await running;
        concurrent -= 1;
      },
    });
    schedule.start();
    try {
      await until(
        () => schedule.view().skippedOverlap >= 1,
        "no run skipped as overlapping",
        5_000,
      );
    } finally {
      finishRun();
      schedule.stop();
    }
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(maxConcurrent).toBe(1);
    expect(schedule.view()).toMatchObject({
      cron: "* * * * * *",
      timezone: "America/New_York",
      regularHoursOnly: false,
    });
  });

  test.each([
    ["a Sunday", "2026-01-04T15:00:00Z"],
    ["a weekday holiday (Good Friday)", "2026-04-03T15:00:00Z"],
  ])(
    "with regular hours only, a run on %s is outside the session, skipped and counted",
    async (_, now) => {
      let runs = 0;
      const schedule = createSchedule({
        name: "rth",
        cron: "*/15 * * * * *",
        timezone: "America/New_York",
        regularHoursOnly: true,
        log: captureLog().log,
        now: () => new Date(now),
        run: async () => {
          runs += 1;
        },
      });
      schedule.trigger();
      await until(
        () => schedule.view().skippedOutsideHours === 1,
        "no run skipped outside hours",
        1_000,
      );
      expect(runs).toBe(0);
      expect(schedule.view().nextRunAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:(00|15|30|45)\.000Z$/);
      schedule.stop();
    },
  );
});
