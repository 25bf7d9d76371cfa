import { MINUTE_US, minuteStart } from "./bar.ts";

/**
 * Decides whether a tick is too late to change its bar: a bar is final once the symbol's event-time
 * watermark (latest event time seen) is past the bar's end plus the allowance. Late ticks are still
 * stored in `ticks`; they are only counted and leave their (final) bar unchanged.
 * The watermark lives in memory: after a restart every replayed minute is recomputed, which is
 * harmless because a bar is a pure function of its stored ticks.
 *
 * @example
 *   const lateness = createLateness(60_000);
 *   lateness.observe("AAPL", t);
 *   lateness.isLate("AAPL", t - 5 * 60_000_000); // true
 */
export function createLateness(allowanceMs: number) {
  const watermarks = new Map<string, number>();
  const allowanceUs = allowanceMs * 1000;
  /** Whether a symbol whose newest event time is `watermark` makes the bar of `eventTime` final. */
  const closedBy = (watermark: number | undefined, eventTime: number) =>
    watermark !== undefined && watermark >= minuteStart(eventTime) + MINUTE_US + allowanceUs;
  return {
    observe(symbol: string, eventTime: number) {
      if (eventTime > (watermarks.get(symbol) ?? Number.NEGATIVE_INFINITY)) {
        watermarks.set(symbol, eventTime);
      }
    },
    isLate: (symbol: string, eventTime: number) => closedBy(watermarks.get(symbol), eventTime),
    closedBy,
  };
}

export type Lateness = ReturnType<typeof createLateness>;
