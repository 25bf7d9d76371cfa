import { sessionsBetween } from "../schedule/calendar.ts";
import type { UnitProgress } from "./state.ts";

/** Records one Alpaca history request returns at most (`limit`, https://docs.alpaca.markets/reference/stocktrades-1). */
export const HISTORY_PAGE_RECORDS = 10_000;

/**
 * Records per symbol and session assumed by the dry run's request estimate when nothing better is
 * known: a liquid symbol on IEX prints tens of thousands of trades a day, a thin one a few hundred.
 */
export const ASSUMED_RECORDS_PER_SYMBOL_SESSION = 20_000;

export type BackfillStatus = "queued" | "running" | "done" | "failed" | "cancelled";

/** What a backfill would do, answered by a dry run before any request is sent. */
export interface BackfillPlan {
  sessions: number;
  /** Trading sessions skipped as weekends or exchange holidays in the range. */
  closedDays: number;
  /** Sessions × kinds: each loaded page by page and checkpointed. */
  units: number;
  /** At least one request per unit; the estimate assumes `assumedRecordsPerSymbolSession`. */
  requests: { min: number; estimate: number; assumedRecordsPerSymbolSession: number };
  /** The account's shared REST budget (polling, gap recovery and backfills all draw from it). */
  ratePerMinute: number;
  /** Rough duration at the whole budget: min and estimate, in seconds. */
  seconds: { min: number; estimate: number };
  firstSession: string | null;
  lastSession: string | null;
}

/** A backfill job started through `POST /backfills`, as stored and as `GET /backfills/{id}` shows it. */
export interface BackfillRecord {
  id: string;
  provider: "alpaca";
  symbols: string[];
  /** First New York date (inclusive) and date to stop at (exclusive), `YYYY-MM-DD`. */
  from: string;
  to: string;
  kinds: ("trades" | "quotes")[];
  status: BackfillStatus;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  /** The operator token's name, or `loopback` without tokens. */
  requestedBy: string | null;
  error: string | null;
  plan: BackfillPlan;
  /** Progress of each unit (`2026-11-20/trades`), with the next page token. */
  units: Record<string, UnitProgress>;
  progress: {
    unitsDone: number;
    units: number;
    pages: number;
    fetched: number;
    accepted: number;
    forwarded: number;
    refused: number;
    dropped: number;
  };
  /** The runs (one per start or resume) that did its work, newest last. */
  runs: string[];
}

/**
 * The dry run of a backfill: sessions in [from, to), requests and a rough duration under the
 * account's rate budget.
 *
 * @example
 *   planBackfill({ symbols: ["AAPL"], from: "2026-11-20", to: "2026-11-24", kinds: ["trades"], ratePerMinute: 200 }).sessions; // 2
 */
export function planBackfill(job: {
  symbols: readonly string[];
  from: string;
  to: string;
  kinds: readonly string[];
  ratePerMinute: number;
}): BackfillPlan {
  const sessions = sessionsBetween(job.from, job.to);
  const days = Math.max(0, Math.round((Date.parse(job.to) - Date.parse(job.from)) / 86_400_000));
  const units = sessions.length * job.kinds.length;
  const pagesPerUnit = Math.max(
    1,
    Math.ceil((job.symbols.length * ASSUMED_RECORDS_PER_SYMBOL_SESSION) / HISTORY_PAGE_RECORDS),
  );
  const estimate = units * pagesPerUnit;
  const seconds = (requests: number) => Math.ceil((requests / job.ratePerMinute) * 60);
  return {
    sessions: sessions.length,
    closedDays: days - sessions.length,
    units,
    requests: {
      min: units,
      estimate,
      assumedRecordsPerSymbolSession: ASSUMED_RECORDS_PER_SYMBOL_SESSION,
    },
    ratePerMinute: job.ratePerMinute,
    seconds: { min: seconds(units), estimate: seconds(estimate) },
    firstSession: sessions[0]?.date ?? null,
    lastSession: sessions.at(-1)?.date ?? null,
  };
}
