import { describe, expect, test } from "bun:test";
import { parseMicros } from "../indicators/fixed.ts";
import type { MinuteBar } from "../series/rollup.ts";
import { createEvaluator } from "./evaluate.ts";
import { Condition, type Rule } from "./rules.ts";

const T0 = 1_767_600_000_000_000;
const MIN = 60_000_000;
const bar = (minute: number, close: string, volume = 100n): MinuteBar => {
  const c = parseMicros(close);
  return {
    start: T0 + minute * MIN,
    open: c,
    high: c,
    low: c,
    close: c,
    volume,
    vwap: c,
    trades: 1n,
  };
};
const rule = (condition: unknown, id = "r1"): Rule => ({
  id,
  symbol: "X",
  condition: Condition.parse(condition),
  webhook: null,
  createdAt: T0,
});

function run(
  r: Rule,
  updates: MinuteBar[],
  indicators?: (b: MinuteBar) => Map<string, { value: bigint }>,
) {
  const evaluator = createEvaluator();
  const minutes: MinuteBar[] = [];
  return updates.flatMap((b) => {
    const at = minutes.findIndex((m) => m.start === b.start);
    if (at >= 0) minutes[at] = b;
    else minutes.push(b);
    return evaluator.evaluate([r], { symbol: "X", bar: b, minutes, indicators: indicators?.(b) });
  });
}

describe("alert conditions", () => {
  test("a price cross fires once, not again inside the hysteresis band, again after it re-armed", () => {
    const r = rule({ kind: "price_cross", level: "100", direction: "up", hysteresis: "0.5" });
    const events = run(r, [
      bar(0, "99"),
      bar(0, "100.2"), // crosses: fires
      bar(1, "99.7"), // back below, inside the band: latched
      bar(1, "100.4"), // no second firing
      bar(2, "99.5"), // clears the band: re-armed
      bar(3, "101"), // fires again
    ]);
    expect(events.map((e) => [e.event, e.barStart - T0, e.price])).toEqual([
      ["cross_up", 0, "100.2"],
      ["cross_up", 3 * MIN, "101"],
    ]);
    expect(events[0]?.dedupKey).toBe(`r1|${T0}|cross_up`);
  });

  test("a rule whose condition already holds when first seen is latched, not fired", () => {
    const r = rule({ kind: "price_cross", level: "100", direction: "down", hysteresis: "1" });
    expect(
      run(r, [bar(0, "99"), bar(1, "99.5"), bar(2, "101"), bar(3, "99.9")]).map(
        (e) => e.barStart - T0,
      ),
    ).toEqual([3 * MIN]);
  });

  test("bars that ended before the rule was created never fire it", () => {
    const r = {
      ...rule({ kind: "price_cross", level: "100", hysteresis: "0.1" }),
      createdAt: T0 + 5 * MIN,
    };
    expect(
      run(r, [bar(0, "99"), bar(1, "101"), bar(2, "99"), bar(5, "101")]).map(
        (e) => e.barStart - T0,
      ),
    ).toEqual([5 * MIN]);
  });

  test("a percent move over a window compares with the close that many minutes earlier", () => {
    const r = rule({ kind: "percent_move", percent: "2", windowMinutes: 2, direction: "either" });
    const events = run(r, [
      bar(0, "100"),
      bar(1, "100.5"),
      bar(2, "101.9"),
      bar(3, "102.6"),
      bar(4, "102.7"),
    ]);
    // minute 3 vs minute 1: +2.089552 %; minute 4 vs minute 2: +0.785… (clears 2 − 1), no new firing
    expect(events.map((e) => [e.event, e.barStart - T0, e.value])).toEqual([
      ["move_up", 3 * MIN, "2.089552"],
    ]);
  });

  test("RSI above a level fires on the rsi<N> the book computed, re-arms after falling back by the hysteresis", () => {
    const rsi = [60, 71, 72, 68, 64, 70.5];
    const r = rule({ kind: "rsi", length: 14, above: "70", hysteresis: "5" });
    const bars = rsi.map((_, i) => bar(i, "100"));
    const events = run(
      r,
      bars,
      (b) =>
        new Map([["rsi14", { value: BigInt(Math.round((rsi[(b.start - T0) / MIN] ?? 0) * 1e6)) }]]),
    );
    expect(events.map((e) => [e.barStart - T0, e.value])).toEqual([
      [1 * MIN, "71"],
      [5 * MIN, "70.5"],
    ]);
  });

  test("volume at least k × the mean of the previous minutes fires once per minute", () => {
    const r = rule({ kind: "volume", k: "3", baselineBars: 3 });
    const events = run(r, [
      bar(0, "1", 100n),
      bar(1, "1", 200n),
      bar(2, "1", 300n),
      bar(3, "1", 500n),
      bar(3, "1", 600n),
      bar(3, "1", 900n),
      bar(4, "1", 100n),
    ]);
    expect(events.map((e) => [e.barStart - T0, e.value])).toEqual([[3 * MIN, "3"]]);
  });

  test("a volume rule with sessions compares the minute with its time-of-day baseline (rvol<N>)", () => {
    const rvol = [1.2, 3.5, 2.1, 4];
    const r = rule({ kind: "volume", k: "3", sessions: 20 });
    const events = run(
      r,
      rvol.map((_, i) => bar(i, "1")),
      (b) =>
        new Map([
          ["rvol20", { value: BigInt(Math.round((rvol[(b.start - T0) / MIN] ?? 0) * 1e6)) }],
        ]),
    );
    expect(events.map((e) => [e.barStart - T0, e.value])).toEqual([
      [1 * MIN, "3.5"],
      [3 * MIN, "4"],
    ]);
  });

  test("an RSI rule needs exactly one of above and below", () => {
    expect(Condition.safeParse({ kind: "rsi", length: 14 }).success).toBe(false);
    expect(Condition.safeParse({ kind: "rsi", length: 14, above: "70", below: "30" }).success).toBe(
      false,
    );
  });
});
