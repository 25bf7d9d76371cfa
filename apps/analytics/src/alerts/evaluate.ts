import type { IndicatorValue } from "../indicators/compute.ts";
import { divideHalfEven, formatMicros, MICRO, parseMicros } from "../indicators/fixed.ts";
import { INTERVALS, type MinuteBar } from "../series/rollup.ts";
import type { Rule } from "./rules.ts";

/** What a rule sees at an update of a symbol's latest 1-minute bar. */
export interface BarUpdate {
  symbol: string;
  bar: MinuteBar;
  /** The session's 1-minute bars, oldest first, `bar` included. */
  minutes: readonly MinuteBar[];
  /** The 1m indicators at `bar`. */
  indicators: ReadonlyMap<string, IndicatorValue> | undefined;
}

/** A condition met while armed: stored (once per dedup key), streamed and sent to the webhook. */
export interface AlertEvent {
  dedupKey: string;
  ruleId: string;
  symbol: string;
  kind: Rule["condition"]["kind"];
  /** `cross_up`, `cross_down`, `move_up`, `move_down`, `rsi_above`, `rsi_below`, `volume_spike`. */
  event: string;
  barStart: number;
  price: string;
  value: string | null;
  message: string;
}

type Check = { met: boolean; clear: boolean; event: string; value: bigint | null } | undefined;

/**
 * Alert conditions with hysteresis, per rule: a rule fires when its condition is met while armed,
 * then stays latched until the condition clears by its margin (price back beyond level ∓
 * hysteresis, move below percent − hysteresis, RSI back by hysteresis; a volume rule re-arms each
 * minute). A rule whose condition is already met the first time it is evaluated is latched, not
 * fired (nothing was crossed). Each firing's dedup key is `rule|bar start|event`: at most one
 * firing per rule, bar and event, whoever evaluates it and however often (replays).
 *
 * @example
 *   const evaluator = createEvaluator();
 *   const events = evaluator.evaluate(rules, update);
 */
export function createEvaluator() {
  /** Per rule: armed (true), latched (false). */
  const armed = new Map<string, boolean>();
  /** Volume rules: the minute they last fired for. */
  const firedMinute = new Map<string, number>();

  function check(rule: Rule, update: BarUpdate): Check {
    const { condition } = rule;
    const close = update.bar.close;
    switch (condition.kind) {
      case "price_cross": {
        const level = parseMicros(condition.level);
        const band =
          condition.hysteresis !== undefined
            ? parseMicros(condition.hysteresis)
            : divideHalfEven(level, 1000n);
        return condition.direction === "up"
          ? { met: close >= level, clear: close <= level - band, event: "cross_up", value: null }
          : { met: close <= level, clear: close >= level + band, event: "cross_down", value: null };
      }
      case "percent_move": {
        const cutoff = update.bar.start - condition.windowMinutes * INTERVALS["1m"];
        let reference: MinuteBar | undefined;
        for (const bar of update.minutes) if (bar.start <= cutoff) reference = bar;
        if (!reference || reference.close <= 0n) return undefined;
        const move = divideHalfEven(100n * MICRO * (close - reference.close), reference.close);
        const percent = parseMicros(condition.percent);
        const band =
          condition.hysteresis !== undefined ? parseMicros(condition.hysteresis) : percent / 2n;
        const up = condition.direction !== "down" && move >= percent;
        const down = condition.direction !== "up" && -move >= percent;
        const size = move < 0n ? -move : move;
        return {
          met: up || down,
          clear: size < percent - band,
          event: move >= 0n ? "move_up" : "move_down",
          value: move,
        };
      }
      case "rsi": {
        const found = update.indicators?.get(`rsi${condition.length}`);
        if (!found || !("value" in found)) return undefined;
        const rsi = found.value;
        const band = parseMicros(condition.hysteresis ?? "5");
        if (condition.above !== undefined) {
          const level = parseMicros(condition.above);
          return { met: rsi >= level, clear: rsi <= level - band, event: "rsi_above", value: rsi };
        }
        const level = parseMicros(condition.below ?? "0");
        return { met: rsi <= level, clear: rsi >= level + band, event: "rsi_below", value: rsi };
      }
      case "volume": {
        if (condition.sessions !== undefined) {
          const found = update.indicators?.get(`rvol${condition.sessions}`);
          if (!found || !("value" in found)) return undefined;
          return {
            met: found.value >= parseMicros(condition.k),
            clear: false,
            event: "volume_spike",
            value: found.value,
          };
        }
        const index = update.minutes.findIndex((bar) => bar.start === update.bar.start);
        if (index < condition.baselineBars) return undefined;
        let total = 0n;
        for (let i = index - condition.baselineBars; i < index; i += 1)
          total += (update.minutes[i] as MinuteBar).volume;
        const k = parseMicros(condition.k);
        const n = BigInt(condition.baselineBars);
        const met = update.bar.volume * n * MICRO >= k * total;
        const ratio = total > 0n ? divideHalfEven(update.bar.volume * n * MICRO, total) : null;
        return { met, clear: false, event: "volume_spike", value: ratio };
      }
    }
  }

  return {
    /** The firings of `rules` (all of `update.symbol`) at this bar update. */
    evaluate(rules: readonly Rule[], update: BarUpdate): AlertEvent[] {
      const events: AlertEvent[] = [];
      for (const rule of rules) {
        if (rule.symbol !== update.symbol) continue;
        const result = check(rule, update);
        if (!result) continue;
        const mayFire = update.bar.start + INTERVALS["1m"] > rule.createdAt;
        let fire = false;
        if (rule.condition.kind === "volume") {
          fire = result.met && firedMinute.get(rule.id) !== update.bar.start;
          if (fire) firedMinute.set(rule.id, update.bar.start);
        } else {
          const state = armed.get(rule.id);
          if (state === undefined) armed.set(rule.id, !result.met);
          else if (state && result.met) {
            fire = true;
            armed.set(rule.id, false);
          } else if (!state && result.clear) armed.set(rule.id, true);
        }
        if (!fire || !mayFire) continue;
        const price = formatMicros(update.bar.close);
        const value = result.value === null ? null : formatMicros(result.value);
        events.push({
          dedupKey: `${rule.id}|${update.bar.start}|${result.event}`,
          ruleId: rule.id,
          symbol: update.symbol,
          kind: rule.condition.kind,
          event: result.event,
          barStart: update.bar.start,
          price,
          value,
          message: describe(rule, result.event, price, value),
        });
      }
      return events;
    },
    /** Forgets a deleted rule's latch. */
    forget(ruleId: string) {
      armed.delete(ruleId);
      firedMinute.delete(ruleId);
    },
  };
}

function describe(rule: Rule, event: string, price: string, value: string | null): string {
  const c = rule.condition;
  switch (c.kind) {
    case "price_cross":
      return `${rule.symbol} crossed ${c.direction} through ${c.level} (close ${price})`;
    case "percent_move":
      return `${rule.symbol} moved ${value} % over ${c.windowMinutes} min (close ${price})`;
    case "rsi":
      return `${rule.symbol} RSI(${c.length}) ${value} is ${event === "rsi_above" ? `at or above ${c.above}` : `at or below ${c.below}`}`;
    case "volume":
      return c.sessions !== undefined
        ? `${rule.symbol} volume is ${value}× this minute's mean over ${c.sessions} sessions (k = ${c.k})`
        : `${rule.symbol} volume is ${value}× its ${c.baselineBars}-minute baseline (k = ${c.k})`;
  }
}
