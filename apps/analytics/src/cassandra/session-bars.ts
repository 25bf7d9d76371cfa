import { BAR_ROW_COLUMNS, BARS_1M, barRowOf, partitionDay, textDecimalList } from "@repo/cassandra";
import { parseMicros } from "../indicators/fixed.ts";
import { DAY_US, type MinuteBar } from "../series/rollup.ts";
import { statementOptions, type TableOptions } from "./driver.ts";

const SELECT_DAY_BARS = `SELECT ${textDecimalList(BARS_1M, BAR_ROW_COLUMNS)} FROM ${BARS_1M.name} WHERE symbol = ? AND day = ?`;

/** A stored decimal, selected as text, in micro-units. */
const micros = (stored: unknown) => parseMicros(String(stored));

/**
 * The one read of the consumer's tables: the stored 1-minute bars of a session (`bars_1m`) and of
 * the symbol's earlier sessions.
 *
 * @example
 *   const bars = createSessionBarReads({ client, consistency, maxConcurrency: 32 });
 *   book.load("AAPL", day, await bars.dayBars("AAPL", day));
 */
export function createSessionBarReads(options: TableOptions) {
  const { client } = options;
  const { read } = statementOptions(options);

  const reads = {
    /** The stored 1-minute bars of `symbol` on the UTC day starting at `day` (µs). */
    async dayBars(symbol: string, day: number): Promise<MinuteBar[]> {
      const result = await client.execute(SELECT_DAY_BARS, [symbol, partitionDay(day)], {
        ...read,
        fetchSize: 2000,
      });
      return result.rows.map((row): MinuteBar => barRowOf(row, micros));
    },

    /**
     * The 1-minute bars of the symbol's `count` sessions before `day` (newest first): UTC days with
     * at least one bar, looking back at most `lookbackDays` days (weekends and holidays have none, so
     * they are skipped: the calendar is the data's). Fewer when the history is shorter.
     */
    async previousSessions(
      symbol: string,
      day: number,
      count: number,
      lookbackDays: number,
    ): Promise<MinuteBar[][]> {
      const sessions: MinuteBar[][] = [];
      for (let back = 1; back <= lookbackDays && sessions.length < count; back += 7) {
        const days = Array.from(
          { length: Math.min(7, lookbackDays - back + 1) },
          (_, i) => day - (back + i) * DAY_US,
        );
        const week = await Promise.all(days.map((d) => reads.dayBars(symbol, d)));
        for (const bars of week)
          if (bars.length > 0 && sessions.length < count) sessions.push(bars);
      }
      return sessions;
    },
  };
  return reads;
}
