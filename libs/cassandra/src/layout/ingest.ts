import { RETENTION } from "../retention.ts";
import { table, timeSeries } from "./table.ts";

/** Ingest runs by provider and UTC day of their start, newest first (cql/003). */
export const INGEST_RUNS = timeSeries({
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
  retention: "ingestRuns",
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
  retention: "ingestBackfills",
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
