import {
  BAR_ROW_COLUMNS,
  BARS_1M,
  barRowOf,
  columnList,
  DAY_US,
  dayOf,
  daysOf,
  LATEST_QUOTES,
  TICKS,
  tickReader,
} from "@repo/cassandra";
import { canonicalDecimal, type Tick } from "@repo/contracts";
import { boundedAll } from "@repo/platform/bounded";
import type cassandra from "cassandra-driver";
import type { TicksPosition } from "./cursor.ts";
import type { StoredBar } from "./rollup.ts";
import { floorTo } from "./time.ts";

export interface SymbolSummary {
  symbol: string;
  /** Event time (µs) of the symbol's latest tick. */
  latestEventTime: number;
}

export interface TicksPage {
  ticks: Tick[];
  /** Where the next page starts, or null when the range is exhausted. */
  next: TicksPosition | null;
}

export interface MarketReader {
  symbols(): Promise<SymbolSummary[]>;
  /** The latest tick of each symbol that has one, in the order asked; every symbol when omitted. */
  latest(symbols?: readonly string[]): Promise<Tick[]>;
  /** Stored 1-minute bars starting in [fromUs, toUs), oldest first. */
  minuteBars(symbol: string, fromUs: number, toUs: number): Promise<StoredBar[]>;
  /**
   * The stored 1-minute bars of many symbols starting in [fromUs, toUs) (a few minutes), read
   * with one query per {@link IN_CHUNK} symbols per day, not one per symbol.
   */
  recentBars(
    symbols: readonly string[],
    fromUs: number,
    toUs: number,
  ): Promise<Map<string, StoredBar[]>>;
  /** Ticks with event time in [fromUs, toUs), oldest first, `limit` per page, from `position`. */
  ticks(
    symbol: string,
    range: { fromUs: number; toUs: number },
    limit: number,
    position?: TicksPosition,
  ): Promise<TicksPage>;
  ping(): Promise<boolean>;
}

/** A stored decimal in the contract's canonical form (no trailing zeros). */
const decimal = (stored: unknown) => canonicalDecimal(String(stored)) ?? String(stored);
/**
 * Every Tick field with the column it is read from (`@repo/cassandra`'s `tickReader`; the
 * consumer's `tickColumns` in apps/consumer/src/cassandra/rows.ts writes them). `tickOf` returns
 * the generated Tick type, so a field added to `schemas/Tick.avsc` fails to compile here until the
 * reader reads it; the SELECTs list exactly its columns.
 */
const tickRows = tickReader(decimal);
const tickOf = (row: cassandra.types.Row): Tick => tickRows.read(row);
const barOf = (row: cassandra.types.Row): StoredBar => barRowOf(row, decimal);
const summaryRows = tickReader(decimal, ["symbol", "eventTime"]);
const SELECT_SUMMARIES = `SELECT ${summaryRows.columns} FROM ${LATEST_QUOTES.name}`;
const SELECT_TICKS = `SELECT ${tickRows.columns} FROM ${TICKS.name}`;
const SELECT_LATEST = `SELECT ${tickRows.columns} FROM ${LATEST_QUOTES.name}`;
const SELECT_BARS = `SELECT ${columnList(BARS_1M, BAR_ROW_COLUMNS)} FROM ${BARS_1M.name}`;
const SELECT_SYMBOL_BARS = `SELECT ${columnList(BARS_1M, ["symbol", ...BAR_ROW_COLUMNS])} FROM ${BARS_1M.name}`;
/** Day partitions read at once by a bars query. */
const PARTITION_CONCURRENCY = 8;
/** IN lists are split so no single query names too many partitions. */
const IN_CHUNK = 50;

/**
 * Reads the consumer's tables (`latest_quotes`, `bars_1m`, `ticks`), one partition per
 * (symbol, UTC day), with prepared statements.
 *
 * @example
 *   const reader = createMarketReader(client);
 *   await reader.minuteBars("AAPL", fromUs, toUs); // [{ start, open, … }]
 */
export function createMarketReader(client: cassandra.Client): MarketReader {
  const options = { prepare: true };
  return {
    async symbols() {
      const out: SymbolSummary[] = [];
      const rows = await client.execute(SELECT_SUMMARIES, [], {
        ...options,
        fetchSize: 1000,
      });
      for await (const row of rows) {
        const { symbol, eventTime } = summaryRows.read(row);
        out.push({ symbol, latestEventTime: eventTime });
      }
      return out.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    },

    async latest(symbols) {
      if (symbols === undefined) {
        const out: Tick[] = [];
        const rows = await client.execute(SELECT_LATEST, [], {
          ...options,
          fetchSize: 1000,
        });
        for await (const row of rows) out.push(tickOf(row));
        return out.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
      }
      const found = new Map<string, Tick>();
      for (let i = 0; i < symbols.length; i += IN_CHUNK) {
        const chunk = symbols.slice(i, i + IN_CHUNK);
        const result = await client.execute(`${SELECT_LATEST} WHERE symbol IN ?`, [chunk], options);
        for (const row of result.rows) found.set(row.get("symbol"), tickOf(row));
      }
      return symbols.flatMap((symbol) => found.get(symbol) ?? []);
    },

    async minuteBars(symbol, fromUs, toUs) {
      const days = daysOf(fromUs, toUs);
      const perDay = await boundedAll(days, PARTITION_CONCURRENCY, async (day) => {
        const bars: StoredBar[] = [];
        const rows = await client.execute(
          `${SELECT_BARS} WHERE symbol = ? AND day = ? AND minute >= ? AND minute < ?`,
          [
            symbol,
            dayOf(day),
            new Date(Math.max(fromUs, day) / 1000),
            new Date(Math.min(toUs, day + DAY_US) / 1000),
          ],
          { ...options, fetchSize: 2000 },
        );
        for await (const row of rows) bars.push(barOf(row));
        return bars.reverse();
      });
      return perDay.flat();
    },

    async recentBars(symbols, fromUs, toUs) {
      const found = new Map<string, StoredBar[]>();
      const queries: [string[], number][] = [];
      for (const day of daysOf(fromUs, toUs))
        for (let i = 0; i < symbols.length; i += IN_CHUNK)
          queries.push([symbols.slice(i, i + IN_CHUNK), day]);
      await boundedAll(queries, PARTITION_CONCURRENCY, async ([chunk, day]) => {
        const rows = await client.execute(
          `${SELECT_SYMBOL_BARS} WHERE symbol IN ? AND day = ? AND minute >= ? AND minute < ?`,
          [
            chunk,
            dayOf(day),
            new Date(Math.max(fromUs, day) / 1000),
            new Date(Math.min(toUs, day + DAY_US) / 1000),
          ],
          { ...options, fetchSize: 5000 },
        );
        for await (const row of rows) {
          const symbol = row.get("symbol") as string;
          found.set(symbol, [...(found.get(symbol) ?? []), barOf(row)]);
        }
      });
      for (const bars of found.values()) bars.sort((a, b) => a.start - b.start);
      return found;
    },

    async ticks(symbol, { fromUs, toUs }, limit, from) {
      let position: TicksPosition = from ?? { day: floorTo(fromUs, DAY_US), pageState: null };
      const ticks: Tick[] = [];
      while (ticks.length < limit && position.day < toUs) {
        const result = await client.execute(
          `${SELECT_TICKS} WHERE symbol = ? AND day = ? ` +
            "AND event_time_us >= ? AND event_time_us < ? ORDER BY event_time_us ASC",
          [
            symbol,
            dayOf(position.day),
            Math.max(fromUs, position.day),
            Math.min(toUs, position.day + DAY_US),
          ],
          {
            ...options,
            fetchSize: limit - ticks.length,
            ...(position.pageState ? { pageState: position.pageState } : {}),
          },
        );
        for (const row of result.rows) ticks.push(tickOf(row));
        position = result.pageState
          ? { day: position.day, pageState: result.pageState }
          : { day: position.day + DAY_US, pageState: null };
      }
      return { ticks, next: position.day < toUs ? position : null };
    },

    async ping() {
      try {
        await client.execute("SELECT release_version FROM system.local", [], options);
        return true;
      } catch {
        return false;
      }
    },
  };
}
