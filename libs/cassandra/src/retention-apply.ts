import type cassandra from "cassandra-driver";
import { TABLES, type TableLayout } from "./layout.ts";
import { compactionWindowDays, RETENTION, type Retention } from "./retention.ts";

/** A table's TTL and TWCS window (days; absent: not TWCS). */
export interface TableRetention {
  ttlSeconds: number;
  compactionWindowDays?: number;
}

/** One table `applyRetention` altered: what it was and what it is now. */
export interface RetentionChange {
  table: string;
  before: TableRetention;
  after: TableRetention;
}

/**
 * The TTL and TWCS window `layout` should have under `retention`: a table that follows a retention
 * takes its TTL and the window that matches it; the others keep what the layout fixes.
 *
 * @example
 *   declaredRetention(TICKS, { ...RETENTION, ticks: 30 * 86_400 }); // { ttlSeconds: 2592000, compactionWindowDays: 1 }
 */
export function declaredRetention(layout: TableLayout, retention: Retention): TableRetention {
  if (!layout.retention) return withWindow(layout.ttlSeconds, layout.compactionWindowDays);
  const ttlSeconds = retention[layout.retention];
  if (layout.compactionWindowDays === undefined) return { ttlSeconds };
  return withWindow(ttlSeconds, compactionWindowDays(ttlSeconds, layout.compactionWindowDays));
}

const withWindow = (ttlSeconds: number, days: number | undefined): TableRetention =>
  days === undefined ? { ttlSeconds } : { ttlSeconds, compactionWindowDays: days };

/** Every table's TTL and TWCS window as Cassandra's `system_schema.tables` has them. */
export async function storedRetention(
  client: cassandra.Client,
  keyspace: string,
): Promise<Map<string, TableRetention>> {
  const rows = await client.execute(
    "SELECT table_name, default_time_to_live, compaction FROM system_schema.tables WHERE keyspace_name = ?",
    [keyspace],
    { prepare: true },
  );
  const stored = new Map<string, TableRetention>();
  for (const row of rows.rows) {
    const compaction = row.get("compaction") as Record<string, string>;
    const twcs =
      compaction.class?.endsWith("TimeWindowCompactionStrategy") &&
      (compaction.compaction_window_unit ?? "DAYS") === "DAYS";
    stored.set(
      row.get("table_name"),
      withWindow(
        row.get("default_time_to_live"),
        twcs ? Number(compaction.compaction_window_size ?? 1) : undefined,
      ),
    );
  }
  return stored;
}

/**
 * Brings every table of `keyspace` to the TTL and TWCS window `retention` declares, with one
 * `ALTER TABLE` per table that differs, and returns what it changed (nothing the second time).
 * Rows already written keep the TTL they were written with; a new window applies to SSTables as
 * they are compacted.
 *
 * @example
 *   const changes = await applyRetention(client, "market", retentionOf(config));
 */
export async function applyRetention(
  client: cassandra.Client,
  keyspace: string,
  retention: Retention = RETENTION,
  tables: readonly TableLayout[] = TABLES,
): Promise<RetentionChange[]> {
  const stored = await storedRetention(client, keyspace);
  const changes: RetentionChange[] = [];
  for (const layout of tables) {
    const before = stored.get(layout.name);
    if (!before)
      throw new Error(`${keyspace}.${layout.name} does not exist: run the migrations first`);
    const after = declaredRetention(layout, retention);
    const options: string[] = [];
    if (before.ttlSeconds !== after.ttlSeconds)
      options.push(`default_time_to_live = ${after.ttlSeconds}`);
    if (
      after.compactionWindowDays !== undefined &&
      before.compactionWindowDays !== after.compactionWindowDays
    )
      options.push(
        `compaction = {'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'DAYS', 'compaction_window_size': ${after.compactionWindowDays}}`,
      );
    if (options.length === 0) continue;
    await client.execute(`ALTER TABLE ${keyspace}.${layout.name} WITH ${options.join(" AND ")}`);
    changes.push({ table: layout.name, before, after });
  }
  return changes;
}

/**
 * One line per change, as `cql:migrate` prints it.
 *
 * @example
 *   describeChange(change); // "ticks: default_time_to_live 7776000 → 2592000 s, TWCS window 3 → 1 days"
 */
export function describeChange({ table, before, after }: RetentionChange): string {
  const parts: string[] = [];
  if (before.ttlSeconds !== after.ttlSeconds)
    parts.push(`default_time_to_live ${before.ttlSeconds} → ${after.ttlSeconds} s`);
  if (before.compactionWindowDays !== after.compactionWindowDays)
    parts.push(
      `TWCS window ${before.compactionWindowDays ?? "none"} → ${after.compactionWindowDays} days`,
    );
  return `${table}: ${parts.join(", ")}`;
}
