import type { CarriedState, IndicatorValue } from "../indicators/compute.ts";
import type { IndicatorSpec } from "../indicators/specs.ts";
import { DAY_US, type Interval, type IntradayInterval, type MinuteBar } from "./rollup.ts";

/** One indicator value at one bar of one interval: a row of `indicators_1m` / `indicators_rollup`. */
export interface IndicatorRow {
  symbol: string;
  interval: Interval;
  /** Start of the bar (µs), and of its UTC day. */
  start: number;
  day: number;
  name: string;
  value: IndicatorValue;
  /** The bar's interval is still open (its values move with each update of the bar). */
  provisional: boolean;
}

/** One intraday interval of a session: its bars and what was computed and emitted at each. */
export interface IntervalSeries {
  bars: MinuteBar[];
  /** State carried after each bar (recursive indicators). */
  states: CarriedState[];
  values: Map<string, IndicatorValue>[];
  /** What was last emitted per `start|name`, so only changed rows are written again. */
  emitted: Map<string, string>;
}

/** A previous session's volume per interval and bucket offset within the day (relative volume). */
export type SessionVolumes = Record<IntradayInterval, Map<number, bigint>>;

/** A session's 1d window: the day bars of its earlier sessions and the state carried after them. */
export interface DailyWindow {
  specs: readonly IndicatorSpec[];
  /** Day bars of the earlier sessions in the window, oldest first (at most W − 1). */
  earlier: readonly MinuteBar[];
  /** The recursive indicators' state after the last earlier day (seeded at the first). */
  state: CarriedState;
}

/** A session's 1d series: its window, its day bar and values now, what was last emitted per name. */
export interface DailySeries {
  window: DailyWindow;
  bar?: MinuteBar;
  values: Map<string, IndicatorValue>;
  emitted: Map<string, string>;
}

/** A symbol's UTC day in memory: its minutes, the intraday series built from them, its 1d series. */
export interface Session {
  symbol: string;
  day: number;
  /** The symbol's previous sessions, newest first. */
  history: SessionVolumes[];
  minutes: Map<number, MinuteBar>;
  series: Record<IntradayInterval, IntervalSeries>;
  daily?: DailySeries;
  touched: number;
}

/** Whether the bar of `interval` is closed: its end plus the late allowance has passed. */
export type ClosedTest = (interval: Interval, bar: MinuteBar) => boolean;

/** The UTC day (µs at 00:00) of a time in µs. */
export const dayOf = (micros: number) => Math.floor(micros / DAY_US) * DAY_US;
