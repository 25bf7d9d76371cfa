import { RETENTION } from "../retention.ts";
import { DAY_SECONDS } from "../time.ts";
import { table, timeSeries } from "./table.ts";

const indicatorValueColumns = {
  name: "text",
  bar_start: "timestamp",
  value: "decimal",
  lower: "decimal",
  upper: "decimal",
  provisional: "boolean",
  updated_at: "timestamp",
} as const;

const indicatorClustering = [
  ["name", "ASC"],
  ["bar_start", "ASC"],
] as const;

/** Indicators of the 1-minute bars per (symbol, UTC day) (cql/004). */
export const INDICATORS_1M = timeSeries({
  name: "indicators_1m",
  columns: { symbol: "text", day: "date", ...indicatorValueColumns },
  partitionKey: ["symbol", "day"],
  clustering: indicatorClustering,
  retention: "indicators",
});

/**
 * Indicators of the 5m, 15m, 1h and 1d rollups per (symbol, interval, UTC day) (cql/004). The
 * table's TTL is the indicators' retention; `1d` rows are written to be kept
 * (`rollupRowTtlSeconds`).
 */
export const INDICATORS_ROLLUP = timeSeries({
  name: "indicators_rollup",
  columns: { symbol: "text", interval: "text", day: "date", ...indicatorValueColumns },
  partitionKey: ["symbol", "interval", "day"],
  clustering: indicatorClustering,
  retention: "indicators",
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
  retention: "alerts",
  ttlSeconds: RETENTION.alerts,
});

/**
 * Webhook deliveries waiting, by the UTC hour of the firing's bar (cql/006): written before the
 * firing is recorded, deleted once delivered (or dropped), read back when analytics starts. Kept
 * 2 days, longer than a delivery's longest retry (`ANALYTICS_WEBHOOK_MAX_AGE_MS` ≤ 1 day); not
 * configurable.
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
  ttlSeconds: 2 * DAY_SECONDS,
  compactionWindowDays: 1,
  gcGraceSeconds: DAY_SECONDS,
});
