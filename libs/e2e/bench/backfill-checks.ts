/**
 * The backfill bench's checks, read back from Cassandra once the pipeline has drained: every
 * backfilled trade and quote is stored once, and every backfilled bar equals its stored trades
 * (recomputed by testkit's independent `expectedBars`).
 */
import {
  canonical,
  expectedBars,
  STORED_TRADE_COLUMNS,
  type StoredTrade,
  storedTradeOf,
} from "@repo/testkit";
import cassandra from "cassandra-driver";
import { backfillSymbols, type HeldHistory, session } from "./backfill-plan.ts";

/** What the checks found: counts, and one line per failure (empty when all is stored right). */
export interface StoredCheck {
  storedTrades: number;
  storedQuotes: number;
  barsChecked: number;
  failures: string[];
}

/**
 * Reads the backfilled session's ticks and bars of every backfilled symbol and compares them with
 * what the stand-in held.
 *
 * @example
 * const { failures } = await checkStored(pipeline.db, history);
 */
export async function checkStored(
  db: cassandra.Client,
  history: HeldHistory,
): Promise<StoredCheck> {
  const failures: string[] = [];
  let storedTrades = 0;
  let storedQuotes = 0;
  let barsChecked = 0;
  const day = session.open.toISOString().slice(0, 10);
  if (session.close.toISOString().slice(0, 10) !== day)
    throw new Error(`session ${session.date} spans two UTC days; the check reads one`);
  const localDay = cassandra.types.LocalDate.fromString(day);
  for (const symbol of backfillSymbols) {
    const held = history.symbols[symbol];
    if (!held) throw new Error(`the stand-in holds nothing for ${symbol}`);
    const trades: StoredTrade[] = [];
    const ids = new Set<number>();
    let quotes = 0;
    let others = 0;
    const rows = 0;
    const result = await db.execute(
      `SELECT ${STORED_TRADE_COLUMNS} FROM ticks WHERE symbol = ? AND day = ?`,
      [symbol, localDay],
      { prepare: true, fetchSize: 5000, readTimeout: 30_000 },
    );
    for await (const row of result) {
      if (row.get("source") !== "alpaca") others += 1;
      else if (row.get("kind") === "TRADE") {
        const trade = storedTradeOf(row);
        trades.push(trade);
        ids.add(Number(trade.sequence));
      } else quotes += 1;
    }
    const tradeCount = held.lastTradeId - held.firstTradeId + 1;
    const outOfRange = [...ids].filter((id) => id < held.firstTradeId || id > held.lastTradeId);
    if (trades.length !== tradeCount || ids.size !== tradeCount || outOfRange.length > 0)
      failures.push(
        `${symbol}: ${trades.length} trade rows (${ids.size} distinct ids, ${outOfRange.length} unknown) for ${tradeCount} trades`,
      );
    if (quotes !== held.quotes)
      failures.push(`${symbol}: ${quotes} quote rows for ${held.quotes} quotes`);
    if (others > 0) failures.push(`${symbol}: ${others} rows from another source`);
    storedTrades += trades.length;
    storedQuotes += quotes;

    const wanted = expectedBars(trades);
    const bars = await db.execute(
      "SELECT minute, open, high, low, close, volume, vwap, trades FROM bars_1m WHERE symbol = ? AND day = ?",
      [symbol, localDay],
      { prepare: true, fetchSize: 5000, readTimeout: 30_000 },
    );
    const seen = new Set<number>();
    for await (const bar of bars) {
      const minuteMs = (bar.get("minute") as Date).getTime();
      seen.add(minuteMs);
      const want = wanted.get(`${symbol}|${minuteMs}`);
      const got = ["open", "high", "low", "close", "vwap"].map((c) => canonical(bar.get(c)));
      const counts = [bar.get("volume").toString(), bar.get("trades").toString()];
      const expectedRow = want && [want.open, want.high, want.low, want.close, want.vwap];
      if (
        !want ||
        JSON.stringify(got) !== JSON.stringify(expectedRow) ||
        counts[0] !== want.volume.toString() ||
        counts[1] !== want.trades.toString()
      )
        failures.push(
          `${symbol} ${new Date(minuteMs).toISOString()}: bar ${JSON.stringify([...got, ...counts])} ≠ its ticks ${JSON.stringify(want, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`,
        );
      else barsChecked += 1;
    }
    for (const key of wanted.keys()) {
      const minuteMs = Number(key.split("|")[1]);
      if (!seen.has(minuteMs))
        failures.push(`${symbol} ${new Date(minuteMs).toISOString()}: no bar`);
    }
    void rows;
  }
  return { storedTrades, storedQuotes, barsChecked, failures };
}

/** Phase ends (ms since the epoch) of the streamed load, in order, after `from`. */
export interface PhaseEnds {
  from: number;
  before: number;
  during: number;
  "catch-up": number;
  after: number;
}

/**
 * The simulator's ticks as stored, by phase: ingestTime (stamped by ingest as it takes the tick) →
 * the row's Cassandra write time (set by the consumer's driver as it writes the row), in ms.
 *
 * @example
 * const phases = await streamedLatency(db, ["AAPL"], [startedAt, Date.now()], ends);
 */
export async function streamedLatency(
  db: cassandra.Client,
  symbols: readonly string[],
  spanMs: readonly number[],
  ends: PhaseEnds,
): Promise<Record<Exclude<keyof PhaseEnds, "from">, number[]>> {
  const days = [...new Set(spanMs.map((ms) => new Date(ms).toISOString().slice(0, 10)))];
  const phases = {
    before: [] as number[],
    during: [] as number[],
    "catch-up": [] as number[],
    after: [] as number[],
  };
  for (const symbol of symbols) {
    for (const day of days) {
      const rows = await db.execute(
        "SELECT ingest_time_us, writetime(kind) AS written_us FROM ticks WHERE symbol = ? AND day = ?",
        [symbol, cassandra.types.LocalDate.fromString(day)],
        { prepare: true, fetchSize: 5000, readTimeout: 30_000 },
      );
      for await (const row of rows) {
        const ingestUs = Number(row.get("ingest_time_us"));
        const latencyMs = (Number(row.get("written_us")) - ingestUs) / 1000;
        const atMs = ingestUs / 1000;
        if (atMs < ends.from) continue;
        if (atMs < ends.before) phases.before.push(latencyMs);
        else if (atMs < ends.during) phases.during.push(latencyMs);
        else if (atMs < ends["catch-up"]) phases["catch-up"].push(latencyMs);
        else if (atMs < ends.after) phases.after.push(latencyMs);
      }
    }
  }
  return phases;
}
