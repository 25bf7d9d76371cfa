import { sessionsBetween, type TradingSession } from "../schedule/calendar.ts";

/**
 * The latest trading session that ended before today, within the last `daysBack` days, and the
 * date after it (`YYYY-MM-DD`): the history a test serves from the Alpaca stand-in and backfills.
 *
 * @example
 *   const { session, next } = pastSession();
 *   fake.trades("NVDA", 400, session.open.getTime() + 2 * 3_600_000);
 *   await backfill({ from: session.date, to: next });
 */
export function pastSession(daysBack = 12): { session: TradingSession; next: string } {
  const today = new Date().toISOString().slice(0, 10);
  const sessions = sessionsBetween(
    new Date(Date.now() - daysBack * 86_400_000).toISOString().slice(0, 10),
    today,
  );
  const session = sessions.at(-1) as TradingSession;
  const next = new Date(Date.parse(`${session.date}T00:00:00Z`) + 86_400_000)
    .toISOString()
    .slice(0, 10);
  return { session, next };
}
