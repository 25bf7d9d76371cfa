/**
 * The storage layout: every table's name, columns with their CQL types, primary key, compaction
 * and retention (the time rules rows are bucketed by are in `time.ts`). `cql/` creates what this
 * module describes; `test/layout.test.ts` migrates a fresh keyspace and fails when the two disagree.
 */
import { DAY_SECONDS } from "./time.ts";

type CqlType =
  | "text"
  | "date"
  | "bigint"
  | "timestamp"
  | "decimal"
  | "boolean"
  | "map<text, bigint>";

/** One table as `cql/` creates it. */
export interface TableLayout<C extends string = string> {
  name: string;
  /** Every column with its CQL type. */
  columns: Readonly<Record<C, CqlType>>;
  partitionKey: readonly NoInfer<C>[];
  clustering: readonly (readonly [NoInfer<C>, "ASC" | "DESC"])[];
  /** `default_time_to_live`: how long a row is kept after its last write; 0 keeps it until deleted. */
  ttlSeconds: number;
  /** TimeWindowCompactionStrategy window in days; absent: Cassandra's default compaction. */
  compactionWindowDays?: number;
  /** Lowered for TTL'd time series (repairs must run more often than this on clusters). */
  gcGraceSeconds?: number;
}

const table = <const C extends string>(layout: TableLayout<C>) => layout;
const days = (n: number) => n * DAY_SECONDS;

/** Retention of each table with a TTL, in seconds (the migrations' `default_time_to_live`). */
export const RETENTION = {
  ticks: days(90),
  bars: days(730),
  indicators: days(730),
  alerts: days(730),
  ingestRuns: days(30),
  ingestBackfills: days(90),
  /** Longer than the longest retry of a webhook delivery (`ANALYTICS_WEBHOOK_MAX_AGE_MS` ≤ 1 day). */
  webhookOutbox: days(2),
} as const;

/** Tick columns shared by `ticks` and `latest_quotes` (the api reads both with one list). */
const tickValueColumns = {
  source: "text",
  sequence: "bigint",
  event_time_us: "bigint",
  event_time: "timestamp",
  kind: "text",
  price: "decimal",
  size: "bigint",
  bid: "decimal",
  ask: "decimal",
  bid_size: "bigint",
  ask_size: "bigint",
  exchange: "text",
  ingest_time_us: "bigint",
  cancelled: "boolean",
} as const;

/** One row per tick identity, partitioned by (symbol, UTC day), newest first (cql/002, 005). */
export const TICKS = table({
  name: "ticks",
  columns: { symbol: "text", day: "date", ...tickValueColumns },
  partitionKey: ["symbol", "day"],
  clustering: [
    ["event_time_us", "DESC"],
    ["source", "ASC"],
    ["sequence", "DESC"],
  ],
  ttlSeconds: RETENTION.ticks,
  compactionWindowDays: 1,
  gcGraceSeconds: DAY_SECONDS,
});

const barValueColumns = {
  open: "decimal",
  high: "decimal",
  low: "decimal",
  close: "decimal",
  volume: "bigint",
  vwap: "decimal",
  trades: "bigint",
} as const;

/** One-minute OHLCV + VWAP per symbol and minute, partitioned by (symbol, UTC day) (cql/002). */
export const BARS_1M = table({
  name: "bars_1m",
  columns: {
    symbol: "text",
    day: "date",
    minute: "timestamp",
    ...barValueColumns,
    updated_at: "timestamp",
  },
  partitionKey: ["symbol", "day"],
  clustering: [["minute", "DESC"]],
  ttlSeconds: RETENTION.bars,
  compactionWindowDays: 7,
  gcGraceSeconds: DAY_SECONDS,
});

/** The last tick per symbol by event time (cql/002, 005). */
export const LATEST_QUOTES = table({
  name: "latest_quotes",
  columns: { symbol: "text", ...tickValueColumns },
  partitionKey: ["symbol"],
  clustering: [],
  ttlSeconds: 0,
});

/** Ingest runs by provider and UTC day of their start, newest first (cql/003). */
export const INGEST_RUNS = table({
  name: "ingest_runs",
  columns: {
    provider: "text",
    day: "date",
    started_at: "timestamp",
    run_id: "text",
    kind: "text",
    trigger: "text",
    outcome: "text",
    ended_at: "timestamp",
    fetched: "bigint",
    accepted: "bigint",
    forwarded: "bigint",
    dropped: "bigint",
    pending: "bigint",
    refused: "map<text, bigint>",
    skipped: "map<text, bigint>",
    error: "text",
    detail: "text",
  },
  partitionKey: ["provider", "day"],
  clustering: [
    ["started_at", "DESC"],
    ["run_id", "ASC"],
  ],
  ttlSeconds: RETENTION.ingestRuns,
  compactionWindowDays: 1,
  gcGraceSeconds: DAY_SECONDS,
});

/** Ingest backfill jobs, one row each, the job as JSON (cql/003). */
export const INGEST_BACKFILLS = table({
  name: "ingest_backfills",
  columns: {
    backfill_id: "text",
    status: "text",
    created_at: "timestamp",
    updated_at: "timestamp",
    body: "text",
  },
  partitionKey: ["backfill_id"],
  clustering: [],
  ttlSeconds: RETENTION.ingestBackfills,
});

/** Whether an operator paused a provider (cql/003). */
export const INGEST_PROVIDER_STATE = table({
  name: "ingest_provider_state",
  columns: { provider: "text", paused: "boolean", changed_at: "timestamp", changed_by: "text" },
  partitionKey: ["provider"],
  clustering: [],
  ttlSeconds: 0,
});

const indicatorValueColumns = {
  name: "text",
  bar_start: "timestamp",
  value: "decimal",
  lower: "decimal",
  upper: "decimal",
  provisional: "boolean",
  updated_at: "timestamp",
} as const;

/** Indicators of the 1-minute bars per (symbol, UTC day) (cql/004). */
export const INDICATORS_1M = table({
  name: "indicators_1m",
  columns: { symbol: "text", day: "date", ...indicatorValueColumns },
  partitionKey: ["symbol", "day"],
  clustering: [
    ["name", "ASC"],
    ["bar_start", "ASC"],
  ],
  ttlSeconds: RETENTION.indicators,
  compactionWindowDays: 7,
  gcGraceSeconds: DAY_SECONDS,
});

/** Indicators of the 5m, 15m and 1h rollups per (symbol, interval, UTC day) (cql/004). */
export const INDICATORS_ROLLUP = table({
  name: "indicators_rollup",
  columns: { symbol: "text", interval: "text", day: "date", ...indicatorValueColumns },
  partitionKey: ["symbol", "interval", "day"],
  clustering: [
    ["name", "ASC"],
    ["bar_start", "ASC"],
  ],
  ttlSeconds: RETENTION.indicators,
  compactionWindowDays: 7,
  gcGraceSeconds: DAY_SECONDS,
});

/** Alert rules, read whole (cql/004). */
export const ALERT_RULES = table({
  name: "alert_rules",
  columns: {
    id: "text",
    symbol: "text",
    condition: "text",
    webhook_url: "text",
    webhook_secret: "text",
    created_by: "text",
    created_at: "timestamp",
  },
  partitionKey: ["id"],
  clustering: [],
  ttlSeconds: 0,
});

/** Alert firings by UTC day of the bar that fired them (cql/004). */
export const ALERTS = table({
  name: "alerts",
  columns: {
    day: "date",
    bar_start: "timestamp",
    dedup_key: "text",
    rule_id: "text",
    symbol: "text",
    kind: "text",
    event: "text",
    price: "decimal",
    value: "decimal",
    message: "text",
    fired_at: "timestamp",
  },
  partitionKey: ["day"],
  clustering: [
    ["bar_start", "ASC"],
    ["dedup_key", "ASC"],
  ],
  ttlSeconds: RETENTION.alerts,
});

/**
 * Webhook deliveries waiting, by the UTC hour of the firing's bar (cql/006): written before the
 * firing is recorded, deleted once delivered (or dropped), read back when analytics starts.
 */
export const WEBHOOK_OUTBOX = table({
  name: "webhook_outbox",
  columns: {
    hour: "timestamp",
    delivery_id: "text",
    rule_id: "text",
    url: "text",
    secret: "text",
    body: "text",
    enqueued_at: "timestamp",
  },
  partitionKey: ["hour"],
  clustering: [["delivery_id", "ASC"]],
  ttlSeconds: RETENTION.webhookOutbox,
  compactionWindowDays: 1,
  gcGraceSeconds: DAY_SECONDS,
});

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

/**
 * A comma-separated column list of `layout` for a SELECT or INSERT: the named columns in that
 * order, or every column. A name the table does not have does not compile.
 *
 * @example
 *   `SELECT ${columnList(BARS_1M, ["minute", "open", "close"])} FROM ${BARS_1M.name}`;
 */
export function columnList<C extends string>(
  layout: TableLayout<C>,
  names?: readonly NoInfer<C>[],
): string {
  return (names ?? (Object.keys(layout.columns) as C[])).join(", ");
}

/**
 * `INSERT INTO <table> (<columns>) VALUES (?, …)` binding `names` in order (every column by default).
 *
 * @example
 *   await client.execute(insertInto(INGEST_PROVIDER_STATE), [name, true, new Date(), "ops"], { prepare: true });
 */
export function insertInto<C extends string>(
  layout: TableLayout<C>,
  names?: readonly NoInfer<C>[],
): string {
  const columns = names ?? (Object.keys(layout.columns) as C[]);
  return `INSERT INTO ${layout.name} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;
}
