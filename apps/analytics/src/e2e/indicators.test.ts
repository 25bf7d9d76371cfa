/**
 * Indicators of a seeded session (after five stored earlier sessions) through the real consumer and
 * analytics, at 1m, 5m, 15m, 1h and 1d: equal to an independent recomputation from the stored bars
 * (and to trading-signals within 1e-6); a late trade that revises
 * a closed minute changes exactly the rows downstream of it; a fresh group's replay of the bars
 * topic reproduces every row.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { type Tick, tickDefaults } from "@repo/contracts";
import { messageCount, type RunningService, sampleTick } from "@repo/testkit";
import { BollingerBands, EMA, RSI, SMA } from "trading-signals";
import {
  type AnalyticsScenario,
  analyticsScenario,
  caughtUp,
  storedIndicators,
  waitFor,
  writeTimes,
} from "./harness.ts";
import { expectedIndicators, storedMinuteBars } from "./reference.ts";

const NAMES = ["sma5", "ema5", "ema12", "rsi5", "bb5", "rv5", "vwapdev", "rvol2"];
const DAY = 86_400_000_000;
const SYMBOLS = ["IND0", "IND1"];
const MINUTES = 40;
const MINUTE = 60_000_000;

let s: AnalyticsScenario | undefined;
afterAll(() => s?.close(), 120_000);

/** 20 trades a minute per symbol over MINUTES minutes starting at `base`, a deterministic walk. */
function seedTicks(base: number): Tick[] {
  const ticks: Tick[] = [];
  SYMBOLS.forEach((symbol, k) => {
    let price = 100_000_000 + k * 7_000_000;
    for (let i = 0; i < MINUTES * 20; i += 1) {
      price += ((i * 7919 + k * 104729) % 600_001) - 300_000;
      ticks.push(
        sampleTick({
          ...tickDefaults,
          source: "e2e",
          symbol,
          kind: "TRADE",
          eventTime: base + i * 3_000_000 + k,
          sequence: i,
          price: (price / 1e6).toFixed(6),
          size: 1 + ((i * 13 + k) % 300),
          ingestTime: base + i * 3_000_000 + 1000,
        }),
      );
    }
  });
  return ticks;
}

const diff = (a: Map<string, string>, b: Map<string, string>) =>
  [...new Set([...a.keys(), ...b.keys()])].filter((key) => a.get(key) !== b.get(key)).sort();

describe("analytics indicators on the real stack", () => {
  // Two hours before this hour; within 10 minutes of midnight a day earlier, so the session's 1d
  // row (provisional until its day ends + 60 s) cannot turn final while the tests run.
  const sinceMidnight = Date.now() % 86_400_000;
  const nearMidnight = sinceMidnight < 600_000 || sinceMidnight > 86_400_000 - 600_000;
  const base =
    (Math.floor(Date.now() / 3_600_000) * 3_600_000 -
      2 * 3_600_000 -
      (nearMidnight ? 86_400_000 : 0)) *
    1000;
  const env = { ANALYTICS_INDICATORS: NAMES.join(","), ANALYTICS_CLOSE_AFTER_MS: "60000" };
  let analytics: RunningService;
  let consumer: RunningService;
  let expected = new Map<string, string>();

  test("a seeded session's stored indicators equal an independent recomputation from the stored bars, and trading-signals within 1e-6", async () => {
    s = await analyticsScenario("an_ind");
    // Five earlier sessions (relative volume's history, the 1d window) are stored before analytics
    // starts; the session under test then streams through it live.
    const history = [5, 4, 3, 2, 1].flatMap((back) => seedTicks(base - back * DAY));
    const ticks = seedTicks(base);
    const scenario = s;
    const written = (n: number) =>
      waitFor(
        `the consumer wrote ${n} ticks`,
        async () =>
          (await consumer.json<{ records: { written: number } }>("/stats")).records.written >= n
            ? true
            : undefined,
        90_000,
        [consumer],
      );
    await s.produceTicks(history);
    consumer = await s.startConsumer();
    await written(history.length);
    analytics = await s.startAnalytics(env);
    await s.produceTicks(ticks);
    await written(history.length + ticks.length);
    await caughtUp(analytics, await messageCount(scenario.topic.bars), 90_000);
    const bars = await storedMinuteBars(scenario.db);
    expect([...bars.values()].map((b) => b.length)).toEqual(SYMBOLS.map(() => 6 * MINUTES));
    expected = expectedIndicators(bars, NAMES);
    const stored = await waitFor(
      "stored indicators equal the recomputation",
      async () => {
        const rows = await storedIndicators(scenario.db);
        return diff(rows, expected).length === 0 ? rows : undefined;
      },
      60_000,
      [analytics],
    ).catch(async (error) => {
      const rows = await storedIndicators(scenario.db);
      throw new Error(
        `${(error as Error).message}\nfirst differences: ${diff(rows, expected)
          .slice(0, 5)
          .map((k) => `${k}: stored ${rows.get(k)} expected ${expected.get(k)}`)
          .join("; ")}`,
      );
    });
    // 1m: every indicator warm from its warm-up on; 5m, 15m, 1h rollups too.
    expect(stored.size).toBe(expected.size);
    expect([...stored.keys()].filter((k) => k.startsWith("1h|")).length).toBeGreaterThan(0);
    // rvol2 needs two earlier sessions: the four latest sessions have it.
    const rvolDays = new Set(
      [...stored.keys()]
        .filter((k) => k.endsWith("|rvol2"))
        .map((k) => Math.floor(Number(k.split("|")[2]) / DAY)),
    );
    const today = Math.floor(base / DAY);
    expect([...rvolDays].sort()).toEqual([today - 3, today - 2, today - 1, today]);
    // 1d (W = 12, from ema12): sma5, ema5, bb5 on the two latest days, rsi5 and rv5 on the latest,
    // rvol2 on four, ema12 never; no vwapdev.
    const daily = [...stored.keys()].filter((k) => k.startsWith("1d|IND0|"));
    expect(daily.length).toBe(12);
    expect(daily.filter((k) => k.endsWith("|vwapdev") || k.endsWith("|ema12"))).toEqual([]);
    // Daily rollups are kept (written USING TTL 0); the other rollups expire with the table.
    const ttls = await scenario.db.execute(
      "SELECT interval, TTL(value) AS ttl FROM indicators_rollup",
    );
    const ttlOf = (interval: string) =>
      ttls.rows.filter((row) => row.get("interval") === interval).map((row) => row.get("ttl"));
    expect(ttlOf("1d").length).toBeGreaterThan(0);
    expect(ttlOf("1d").filter((ttl) => ttl !== null)).toEqual([]);
    expect(ttlOf("5m").length).toBeGreaterThan(0);
    expect(ttlOf("5m").filter((ttl) => !(ttl > 0))).toEqual([]);
    expect(await messageCount(scenario.topic.indicators)).toBeGreaterThanOrEqual(stored.size);

    for (const symbol of SYMBOLS) {
      // The session under test (each session starts cold, trading-signals from its first bar too).
      const closes = (bars.get(symbol) ?? [])
        .filter((b) => b.start >= base)
        .sort((a, b) => a.start - b.start)
        .map((b) => ({ start: b.start, close: Number(b.close) }));
      const refs = {
        sma5: new SMA(5),
        ema5: new EMA(5),
        ema12: new EMA(12),
        rsi5: new RSI(5),
        bb5: new BollingerBands(5, 2),
      };
      let compared = 0;
      for (const { start, close } of closes) {
        for (const [name, indicator] of Object.entries(refs)) {
          indicator.update(close, false);
          if (!indicator.isStable) continue;
          const ours = stored.get(`1m|${symbol}|${start}|${name}`);
          expect(ours, `${name} at ${start}`).toBeDefined();
          const [value = "", lower = "", upper = ""] = (ours as string).split("|");
          const theirs = indicator.getResultOrThrow() as
            | number
            | { lower: number; middle: number; upper: number };
          const pairs: [string, number][] =
            typeof theirs === "number"
              ? [[value, theirs]]
              : [
                  [value, theirs.middle],
                  [lower, theirs.lower],
                  [upper, theirs.upper],
                ];
          for (const [mine, reference] of pairs)
            expect(Math.abs(Number(mine) - reference)).toBeLessThanOrEqual(1e-6 + 1e-9);
          compared += 1;
        }
      }
      expect(compared).toBeGreaterThan(150);
    }
  }, 240_000);

  test("a late trade revising a closed minute rewrites exactly the rows downstream of it", async () => {
    const scenario = s as AnalyticsScenario;
    const before = await storedIndicators(scenario.db);
    const writtenBefore = await writeTimes(scenario.db);
    const revised = base + 20 * MINUTE;
    const late = sampleTick({
      ...tickDefaults,
      source: "e2e-late",
      symbol: "IND0",
      kind: "TRADE",
      eventTime: revised + 59_000_000,
      sequence: 1,
      price: "150.000001",
      size: 5000,
      ingestTime: Date.now() * 1000,
    });
    const consumed = (await analytics.json<{ bars: { consumed: number } }>("/stats")).bars.consumed;
    await scenario.produceTicks([late]);
    await caughtUp(analytics, consumed + 1, 90_000);
    const bars = await storedMinuteBars(scenario.db);
    const after = expectedIndicators(bars, NAMES);
    const predicted = diff(expected, after);
    expect(predicted.length).toBeGreaterThan(0);
    const stored = await waitFor(
      "stored indicators equal the recomputation after the revision",
      async () => {
        const rows = await storedIndicators(scenario.db);
        return diff(rows, after).length === 0 ? rows : undefined;
      },
      60_000,
      [analytics],
    );
    // What changed is exactly what the recomputation says depends on the revised minute …
    expect(diff(before, stored)).toEqual(predicted);
    for (const key of predicted) {
      const [interval = "", symbol, start] = key.split("|");
      const step = { "1m": 1, "5m": 5, "15m": 15, "1h": 60, "1d": 1440 }[interval] ?? 1;
      expect(symbol).toBe("IND0");
      expect(Number(start)).toBeGreaterThanOrEqual(
        Math.floor(revised / (step * MINUTE)) * step * MINUTE,
      );
    }
    // … and no 1m row before the revised minute, nor of the other symbol, was written again.
    const writtenAfter = await writeTimes(scenario.db);
    for (const [key, time] of writtenBefore) {
      const [symbol, start] = key.split("|");
      if (symbol === "IND0" && Number(start) >= revised) continue;
      expect(writtenAfter.get(key), key).toBe(time);
    }
    expected = after;
  }, 180_000);

  test("a fresh group replaying the bars topic reproduces every row", async () => {
    const scenario = s as AnalyticsScenario;
    await analytics.stop();
    await consumer.stop();
    const snapshot = await storedIndicators(scenario.db);
    expect(diff(snapshot, expected)).toEqual([]);
    await scenario.db.execute("TRUNCATE indicators_1m");
    await scenario.db.execute("TRUNCATE indicators_rollup");
    expect((await storedIndicators(scenario.db)).size).toBe(0);
    const replay = await scenario.startAnalytics({
      ...env,
      ANALYTICS_GROUP: `${scenario.prefix}replay`,
    });
    await caughtUp(replay, await messageCount(scenario.topic.bars), 90_000);
    const rows = await waitFor(
      "the replay stored every row",
      async () => {
        const current = await storedIndicators(scenario.db);
        return current.size === snapshot.size ? current : undefined;
      },
      60_000,
      [replay],
    );
    expect(diff(rows, snapshot)).toEqual([]);
  }, 180_000);
});
