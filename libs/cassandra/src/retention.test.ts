import { expect, test } from "bun:test";
import { ConfigError, loadConfig } from "@repo/platform/config";
import { retentionEnv, retentionOf } from "./config.ts";
import { ALERTS, INDICATORS_ROLLUP, LATEST_QUOTES, TICKS, WEBHOOK_OUTBOX } from "./layout.ts";
import { compactionWindowDays, RETENTION, rollupRowTtlSeconds } from "./retention.ts";
import { declaredRetention } from "./retention-apply.ts";

const DAY = 86_400;

test("a TWCS window spans a thirtieth of the TTL in whole days, at least one, and a kept table keeps its window", () => {
  expect(compactionWindowDays(90 * DAY)).toBe(3);
  expect(compactionWindowDays(730 * DAY)).toBe(25);
  expect(compactionWindowDays(30 * DAY)).toBe(1);
  expect(compactionWindowDays(2 * DAY)).toBe(1);
  expect(compactionWindowDays(0, 3)).toBe(3);
  expect([TICKS.ttlSeconds, TICKS.compactionWindowDays]).toEqual([90 * DAY, 3]);
});

test("the configured retention sets each following table's TTL and window; fixed tables keep theirs", () => {
  const retention = retentionOf(
    loadConfig(retentionEnv, { RETENTION_TICKS_DAYS: "7", RETENTION_INDICATORS_DAYS: "0" }),
  );
  expect(retention).toEqual({ ...RETENTION, ticks: 7 * DAY, indicators: 0 });
  expect(declaredRetention(TICKS, retention)).toEqual({
    ttlSeconds: 7 * DAY,
    compactionWindowDays: 1,
  });
  expect(declaredRetention(INDICATORS_ROLLUP, retention)).toEqual({
    ttlSeconds: 0,
    compactionWindowDays: 25,
  });
  expect(declaredRetention(ALERTS, retention)).toEqual({ ttlSeconds: 730 * DAY });
  expect(declaredRetention(LATEST_QUOTES, retention)).toEqual({ ttlSeconds: 0 });
  expect(declaredRetention(WEBHOOK_OUTBOX, retention)).toEqual({
    ttlSeconds: 2 * DAY,
    compactionWindowDays: 1,
  });
});

test("a retention that is not a whole number of days from 0 is refused, naming the variable", () => {
  const load = (env: Record<string, string>) => () => loadConfig(retentionEnv, env);
  expect(load({ RETENTION_TICKS_DAYS: "-1" })).toThrow(ConfigError);
  expect(load({ RETENTION_TICKS_DAYS: "-1" })).toThrow(/RETENTION_TICKS_DAYS \("-1"\): must be 0/);
  expect(load({ RETENTION_BARS_DAYS: "1.5" })).toThrow(
    /RETENTION_BARS_DAYS \("1.5"\): must be a whole/,
  );
  expect(load({ RETENTION_ALERTS_DAYS: "forever" })).toThrow(/RETENTION_ALERTS_DAYS/);
});

test("daily indicator rollups are written to be kept; intraday ones take the table's TTL", () => {
  expect(rollupRowTtlSeconds("1d")).toBe(0);
  expect(rollupRowTtlSeconds("5m")).toBeUndefined();
});

test("the time entry (@repo/cassandra/time) bundles for a browser without the driver", async () => {
  const entry = Bun.resolveSync("@repo/cassandra/time", import.meta.dir);
  const bundle = await Bun.build({ entrypoints: [entry], target: "browser", external: ["*"] });
  expect(bundle.success).toBe(true);
  const [output] = bundle.outputs;
  const code = await output?.text();
  expect(code).toContain("86400000000");
  expect(code).not.toContain("cassandra-driver");
  expect(code).not.toMatch(/^import /m);
});
