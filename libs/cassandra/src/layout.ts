/**
 * The storage layout: every table's name, columns with their CQL types, primary key, compaction
 * and retention (the time rules rows are bucketed by are in `time.ts`, the retention rules in
 * `retention.ts`). `cql/` creates what this module describes and `cql:migrate` brings each table's
 * TTL and TWCS window to the configured retention; `test/layout.test.ts` migrates a fresh keyspace
 * and fails when the two disagree. One file per owner: `layout/market.ts` (the consumer's tables),
 * `layout/ingest.ts`, `layout/analytics.ts`.
 */
import {
  ALERT_RULES,
  ALERTS,
  INDICATORS_1M,
  INDICATORS_ROLLUP,
  WEBHOOK_OUTBOX,
} from "./layout/analytics.ts";
import { INGEST_BACKFILLS, INGEST_PROVIDER_STATE, INGEST_RUNS } from "./layout/ingest.ts";
import { BARS_1M, LATEST_QUOTES, TICKS } from "./layout/market.ts";
import type { TableLayout } from "./layout/table.ts";

export * from "./layout/analytics.ts";
export * from "./layout/ingest.ts";
export * from "./layout/market.ts";
export { columnList, type InsertOptions, insertInto, type TableLayout } from "./layout/table.ts";

/** Every table the migrations create (besides their own ledger, `schema_migrations`). */
export const TABLES: readonly TableLayout[] = [
  TICKS,
  BARS_1M,
  LATEST_QUOTES,
  INGEST_RUNS,
  INGEST_BACKFILLS,
  INGEST_PROVIDER_STATE,
  INDICATORS_1M,
  INDICATORS_ROLLUP,
  ALERT_RULES,
  ALERTS,
  WEBHOOK_OUTBOX,
];
