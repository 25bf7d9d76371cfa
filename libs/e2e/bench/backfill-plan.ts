/**
 * What the backfill bench loads: its settings (BENCH_* variables), the disjoint symbol sets of the
 * streamed and the backfilled load, the past session it backfills, and what the Alpaca stand-in
 * holds. Shared by the bench (`backfill.ts`) and the stand-in's process (`backfill-history.ts`).
 */
import { exchangeDate, sessionsBetween } from "../../../apps/ingest/src/schedule/calendar.ts";
import { loadConfig, positiveInt, z } from "../../platform/src/config.ts";
import { configOrExit } from "../../platform/src/startup.ts";

export const config = configOrExit(() =>
  loadConfig({
    BENCH_BACKFILL_SYMBOLS: z.coerce.number().int().min(1).max(100).default(10),
    BENCH_BACKFILL_TRADES_PER_MINUTE: z.coerce.number().int().min(1).max(2000).default(150),
    BENCH_BACKFILL_QUOTES_PER_MINUTE: z.coerce.number().int().min(0).max(2000).default(50),
    BENCH_STREAM_SYMBOLS: z.coerce.number().int().min(1).max(100).default(20),
    BENCH_STREAM_RATE: positiveInt(300),
    /** Streaming alone before the backfill starts, and again once lag is back to 0. */
    BENCH_BASELINE_SECONDS: positiveInt(30),
    BENCH_AFTER_SECONDS: positiveInt(20),
    BENCH_TIMEOUT_SECONDS: positiveInt(1200),
  }),
);

const TICKERS = [
  "AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "META", "TSLA", "AMD", "INTC", "ORCL",
  "IBM", "CSCO", "ADBE", "CRM", "NFLX", "QCOM", "TXN", "AVGO", "PEP", "KO",
  "JPM", "BAC", "WFC", "C", "GS", "MS", "XOM", "CVX", "PFE", "MRK",
]; // biome-ignore format: a table
const names = (count: number, offset: number) =>
  Array.from({ length: count }, (_, i) => TICKERS[offset + i] ?? `SYM${offset + i}`);
/** The simulator's symbols, then the backfill's: disjoint, so every row says which load it is. */
export const streamSymbols = names(config.BENCH_STREAM_SYMBOLS, 0);
export const backfillSymbols = names(config.BENCH_BACKFILL_SYMBOLS, config.BENCH_STREAM_SYMBOLS);

/** The most recent regular session that ended before New York's today. */
export const session = (() => {
  const today = exchangeDate(new Date());
  const from = new Date(Date.parse(`${today}T00:00:00Z`) - 14 * 86_400_000);
  const found = sessionsBetween(from.toISOString().slice(0, 10), today).at(-1);
  if (!found) throw new Error(`no trading session in the two weeks before ${today}`);
  return found;
})();
export const sessionMinutes = Math.round(
  (session.close.getTime() - session.open.getTime()) / 60_000,
);

export interface HeldHistory {
  dataUrl: string;
  keyId: string;
  secretKey: string;
  /** Per symbol: the Alpaca trade ids (a contiguous range) and how many quotes it holds. */
  symbols: Record<string, { firstTradeId: number; lastTradeId: number; quotes: number }>;
  seedSeconds: number;
}
