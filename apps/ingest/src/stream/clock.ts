import { currentOrNextSession } from "../schedule/calendar.ts";

/** When the exchange's regular session is open: the one open at `at`, or else the next. */
export interface MarketClock {
  session(at: Date): { open: Date; close: Date };
}

/** The US equity calendar (holidays, early closes). */
export const exchangeClock: MarketClock = { session: (at) => currentOrNextSession(at) };

/** A market that never closes (tests, and providers streaming at every hour still use the calendar for staleness). */
export const alwaysOpen: MarketClock = {
  session: () => ({ open: new Date(0), close: new Date(8.64e15) }),
};

/**
 * Whether the regular session of `clock` is open at `at` (ms).
 *
 * @example
 *   if (marketOpenAt(exchangeClock, Date.now())) checkStaleness();
 */
export function marketOpenAt(clock: MarketClock, at: number): boolean {
  const session = clock.session(new Date(at));
  return at >= session.open.getTime() && at < session.close.getTime();
}
