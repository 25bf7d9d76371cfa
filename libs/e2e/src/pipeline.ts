/**
 * The pieces of an end-to-end run: the isolated pipeline (testkit's `startPipeline`: topics,
 * keyspace, group, the services as users run them) and the checks on what reached Cassandra,
 * shared by the pipeline tests.
 */
import {
  expectedBars,
  type RunningService,
  STORED_TRADE_COLUMNS,
  type StoredTrade,
  storedBarValues,
  storedTradeOf,
} from "@repo/testkit";
import type cassandra from "cassandra-driver";

/** Pino lines at level error (50) or fatal (60) that a service printed. */
export function loggedErrors(service: RunningService): string[] {
  return service
    .output()
    .split("\n")
    .filter((line) => {
      try {
        return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50;
      } catch {
        return false;
      }
    });
}

export interface StoredOutcome {
  rows: number;
  bars: number;
  /** Bars whose stored values differ from the recomputation (key → [stored, expected]). */
  mismatchedBars: [string, unknown, unknown][];
  missingBars: string[];
  /** Symbols whose latest_quotes row is not their newest stored tick. */
  staleLatest: string[];
}

/** Reads the keyspace back and compares bars and latest quotes with an independent recomputation. */
export async function storedOutcome(db: cassandra.Client): Promise<StoredOutcome> {
  const trades: StoredTrade[] = [];
  const newest = new Map<string, bigint>();
  let rows = 0;
  const ticks = await db.execute(`SELECT ${STORED_TRADE_COLUMNS} FROM ticks`, [], {
    prepare: true,
    fetchSize: 2000,
  });
  for await (const row of ticks) {
    rows += 1;
    const tick = storedTradeOf(row);
    if (row.get("kind") === "TRADE") trades.push(tick);
    // latest_quotes ignores cancels (a cancel repeats an older trade).
    if (!tick.cancelled && tick.eventTimeUs > (newest.get(tick.symbol) ?? -1n))
      newest.set(tick.symbol, tick.eventTimeUs);
  }
  const expected = expectedBars(trades);
  const stored = await db.execute(
    "SELECT symbol, minute, open, high, low, close, volume, vwap, trades FROM bars_1m",
  );
  const mismatchedBars: [string, unknown, unknown][] = [];
  const seen = new Set<string>();
  for (const bar of stored.rows) {
    const key = `${bar.get("symbol")}|${(bar.get("minute") as Date).getTime()}`;
    seen.add(key);
    const want = expected.get(key);
    const got = storedBarValues(bar);
    const wanted = want && {
      open: want.open,
      high: want.high,
      low: want.low,
      close: want.close,
      volume: want.volume,
      vwap: want.vwap,
      trades: want.trades,
    };
    if (JSON.stringify(got, bigints) !== JSON.stringify(wanted, bigints))
      mismatchedBars.push([key, got, wanted]);
  }
  const latest = await db.execute("SELECT symbol, event_time_us FROM latest_quotes");
  const staleLatest = latest.rows
    .filter((row) => BigInt(row.get("event_time_us").toString()) !== newest.get(row.get("symbol")))
    .map((row) => row.get("symbol") as string);
  for (const symbol of newest.keys())
    if (!latest.rows.some((r) => r.get("symbol") === symbol)) staleLatest.push(symbol);
  return {
    rows,
    bars: stored.rowLength,
    mismatchedBars,
    missingBars: [...expected.keys()].filter((key) => !seen.has(key)),
    staleLatest,
  };
}

const bigints = (_: string, value: unknown) =>
  typeof value === "bigint" ? value.toString() : value;
