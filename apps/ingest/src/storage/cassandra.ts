import {
  type CassandraSettings,
  cassandra,
  columnList,
  connectCassandra,
  createCassandraClient,
  daysOf,
  INGEST_BACKFILLS,
  INGEST_PROVIDER_STATE,
  INGEST_RUNS,
  insertInto,
  partitionDay,
} from "@repo/cassandra";
import type { BackfillRecord } from "../backfill/job.ts";
import type { Run, RunKind, RunOutcome, RunTrigger } from "../runs/run.ts";
import type { RunQuery } from "../runs/store.ts";
import type { IngestStorage, ProviderState } from "./storage.ts";

const RUNS = INGEST_RUNS.name;
const BACKFILLS = INGEST_BACKFILLS.name;
const PROVIDER_STATE = INGEST_PROVIDER_STATE.name;
const PROVIDER_STATE_COLUMNS = ["provider", "paused", "changed_at", "changed_by"] as const;

/**
 * Ingest's state in Cassandra (tables of `cql/003_ingest_runs.cql`, laid out in `@repo/cassandra`'s
 * `INGEST_RUNS`, `INGEST_BACKFILLS` and `INGEST_PROVIDER_STATE`, which own keys and TTLs):
 * `ingest_runs` partitioned by provider and UTC day of the start, `ingest_backfills` one row per
 * job, `ingest_provider_state` one row per provider.
 *
 * @example
 *   const storage = cassandraStorage(config, config.CASSANDRA_KEYSPACE);
 *   await storage.connect();
 *   await storage.runs.list({ provider: "simulator", fromMs, toMs, limit: 100 });
 */
export function cassandraStorage(settings: CassandraSettings, keyspace: string): IngestStorage {
  const client = createCassandraClient(settings, { keyspace, applicationName: "ingest" });
  const long = (value: number) => cassandra.types.Long.fromNumber(value);
  const counts = (values: Record<string, number>) =>
    Object.fromEntries(Object.entries(values).map(([key, value]) => [key, long(value)]));
  const numbers = (value: unknown) =>
    Object.fromEntries(
      Object.entries((value ?? {}) as Record<string, unknown>).map(([key, n]) => [key, Number(n)]),
    );
  const dayOf = (ms: number) => partitionDay(ms * 1000);

  function runOf(row: cassandra.types.Row): Run {
    const ended = row.get("ended_at") as Date | null;
    return {
      id: row.get("run_id"),
      provider: row.get("provider"),
      kind: row.get("kind") as RunKind,
      trigger: row.get("trigger") as RunTrigger,
      startedAt: (row.get("started_at") as Date).toISOString(),
      endedAt: ended ? ended.toISOString() : null,
      outcome: row.get("outcome") as RunOutcome,
      error: row.get("error") ?? null,
      detail: JSON.parse(row.get("detail") ?? "{}"),
      fetched: Number(row.get("fetched") ?? 0),
      accepted: Number(row.get("accepted") ?? 0),
      forwarded: Number(row.get("forwarded") ?? 0),
      dropped: Number(row.get("dropped") ?? 0),
      pending: Number(row.get("pending") ?? 0),
      refused: numbers(row.get("refused")),
      skipped: numbers(row.get("skipped")),
    };
  }

  return {
    kind: "cassandra",
    connect: () => connectCassandra(client, settings),
    close: () => client.shutdown(),
    runs: {
      async save(run) {
        const started = Date.parse(run.startedAt);
        await client.execute(
          insertInto(INGEST_RUNS),
          [
            run.provider,
            dayOf(started),
            new Date(started),
            run.id,
            run.kind,
            run.trigger,
            run.outcome,
            run.endedAt ? new Date(run.endedAt) : null,
            long(run.fetched),
            long(run.accepted),
            long(run.forwarded),
            long(run.dropped),
            long(run.pending),
            counts(run.refused),
            counts(run.skipped),
            run.error,
            JSON.stringify(run.detail),
          ],
          { prepare: true },
        );
      },
      async list(query: RunQuery) {
        const runs: Run[] = [];
        // Newest day partition first: the list is newest first and stops at the limit.
        for (const dayUs of daysOf(query.fromMs * 1000, query.toMs * 1000).reverse()) {
          const result = await client.execute(
            `SELECT ${columnList(INGEST_RUNS)} FROM ${RUNS} WHERE provider = ? AND day = ? AND started_at >= ? AND started_at < ? LIMIT ?`,
            [
              query.provider,
              partitionDay(dayUs),
              new Date(query.fromMs),
              new Date(query.toMs),
              query.limit - runs.length,
            ],
            { prepare: true },
          );
          for (const row of result.rows) runs.push(runOf(row));
          if (runs.length >= query.limit) break;
        }
        return runs;
      },
    },
    backfills: {
      async save(record) {
        await client.execute(
          insertInto(INGEST_BACKFILLS),
          [
            record.id,
            record.status,
            new Date(record.createdAt),
            new Date(record.updatedAt),
            JSON.stringify(record),
          ],
          { prepare: true },
        );
      },
      async get(id) {
        const result = await client.execute(
          `SELECT body FROM ${BACKFILLS} WHERE backfill_id = ?`,
          [id],
          { prepare: true },
        );
        const body = result.first()?.get("body");
        return body ? (JSON.parse(body) as BackfillRecord) : undefined;
      },
      async list() {
        const result = await client.execute(`SELECT body FROM ${BACKFILLS}`, [], {
          prepare: true,
          fetchSize: 1_000,
        });
        return result.rows.map((row) => JSON.parse(row.get("body")) as BackfillRecord);
      },
    },
    providers: {
      async save(state) {
        await client.execute(
          insertInto(INGEST_PROVIDER_STATE, PROVIDER_STATE_COLUMNS),
          [state.provider, state.paused, new Date(state.changedAt), state.changedBy],
          { prepare: true },
        );
      },
      async list() {
        const result = await client.execute(
          `SELECT ${columnList(INGEST_PROVIDER_STATE, PROVIDER_STATE_COLUMNS)} FROM ${PROVIDER_STATE}`,
          [],
          { prepare: true },
        );
        return result.rows.map(
          (row): ProviderState => ({
            provider: row.get("provider"),
            paused: row.get("paused") === true,
            changedAt: (row.get("changed_at") as Date).toISOString(),
            changedBy: row.get("changed_by") ?? null,
          }),
        );
      },
    },
  };
}
