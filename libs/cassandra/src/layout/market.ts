import { table, timeSeries } from "./table.ts";

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
export const TICKS = timeSeries({
  name: "ticks",
  columns: { symbol: "text", day: "date", ...tickValueColumns },
  partitionKey: ["symbol", "day"],
  clustering: [
    ["event_time_us", "DESC"],
    ["source", "ASC"],
    ["sequence", "DESC"],
  ],
  retention: "ticks",
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
export const BARS_1M = timeSeries({
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
  retention: "bars",
});

/** The last tick per symbol by event time (cql/002, 005). */
export const LATEST_QUOTES = table({
  name: "latest_quotes",
  columns: { symbol: "text", ...tickValueColumns },
  partitionKey: ["symbol"],
  clustering: [],
  ttlSeconds: 0,
});
