import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { cassandraEnv, loadConfig } from "@repo/platform/config";
import type cassandra from "cassandra-driver";
import { createCassandraClient } from "../src/client.ts";
import { BARS_1M, TABLES, type TableLayout } from "../src/layout.ts";
import { migrate } from "../src/migrate.ts";
import { applyRetention } from "../src/retention-apply.ts";

/** What Cassandra's system_schema says about one table, in the shape of a {@link TableLayout}. */
interface StoredTable {
  columns: Record<string, string>;
  partitionKey: string[];
  clustering: [string, string][];
  ttlSeconds: number;
  compactionWindowDays?: number;
  gcGraceSeconds: number;
}

async function storedTables(
  client: cassandra.Client,
  keyspace: string,
): Promise<Map<string, StoredTable>> {
  const tables = new Map<string, StoredTable>();
  const rows = await client.execute(
    "SELECT table_name, default_time_to_live, gc_grace_seconds, compaction FROM system_schema.tables WHERE keyspace_name = ?",
    [keyspace],
  );
  for (const row of rows.rows) {
    const compaction = row.get("compaction") as Record<string, string>;
    const windowDays = compaction.class?.endsWith("TimeWindowCompactionStrategy")
      ? Number(compaction.compaction_window_size) *
        (compaction.compaction_window_unit === "DAYS" ? 1 : Number.NaN)
      : undefined;
    tables.set(row.get("table_name"), {
      columns: {},
      partitionKey: [],
      clustering: [],
      ttlSeconds: row.get("default_time_to_live"),
      compactionWindowDays: windowDays,
      gcGraceSeconds: row.get("gc_grace_seconds"),
    });
  }
  const columns = await client.execute(
    "SELECT table_name, column_name, kind, position, clustering_order, type FROM system_schema.columns WHERE keyspace_name = ?",
    [keyspace],
  );
  const keyed = columns.rows.toSorted((a, b) => a.get("position") - b.get("position"));
  for (const column of keyed) {
    const stored = tables.get(column.get("table_name"));
    if (!stored) continue;
    const name = column.get("column_name") as string;
    stored.columns[name] = column.get("type");
    if (column.get("kind") === "partition_key") stored.partitionKey.push(name);
    if (column.get("kind") === "clustering")
      stored.clustering.push([name, String(column.get("clustering_order")).toUpperCase()]);
  }
  return tables;
}

/** Every way `layouts` and the stored tables disagree, one line each (empty when they agree). */
function differences(layouts: readonly TableLayout[], stored: Map<string, StoredTable>): string[] {
  const found: string[] = [];
  const declared = new Set(layouts.map((layout) => layout.name));
  for (const name of stored.keys())
    if (name !== "schema_migrations" && !declared.has(name))
      found.push(`${name}: created by cql/ but not in the layout`);
  for (const layout of layouts) {
    const actual = stored.get(layout.name);
    if (!actual) {
      found.push(`${layout.name}: in the layout but not created by cql/`);
      continue;
    }
    const sorted = (columns: Record<string, string>) =>
      Object.entries(columns).sort(([a], [b]) => a.localeCompare(b));
    const expected = {
      columns: sorted(layout.columns),
      partitionKey: layout.partitionKey,
      clustering: layout.clustering,
      ttlSeconds: layout.ttlSeconds,
      compactionWindowDays: layout.compactionWindowDays,
    };
    const got = {
      columns: sorted(actual.columns),
      partitionKey: actual.partitionKey,
      clustering: actual.clustering,
      ttlSeconds: actual.ttlSeconds,
      compactionWindowDays: actual.compactionWindowDays,
    };
    for (const key of Object.keys(expected) as (keyof typeof expected)[])
      if (JSON.stringify(expected[key]) !== JSON.stringify(got[key]))
        found.push(
          `${layout.name}.${key}: layout ${JSON.stringify(expected[key])}, cql/ ${JSON.stringify(got[key])}`,
        );
    if (layout.gcGraceSeconds !== undefined && layout.gcGraceSeconds !== actual.gcGraceSeconds)
      found.push(
        `${layout.name}.gcGraceSeconds: layout ${layout.gcGraceSeconds}, cql/ ${actual.gcGraceSeconds}`,
      );
  }
  return found;
}

describe("the storage layout (libs/cassandra/src/layout.ts) and cql/", () => {
  const keyspace = `layout_${randomBytes(5).toString("hex")}`;
  let client: cassandra.Client;
  let stored: Map<string, StoredTable>;

  beforeAll(async () => {
    client = createCassandraClient({
      CASSANDRA_CONTACT_POINTS: loadConfig(cassandraEnv).CASSANDRA_CONTACT_POINTS,
      CASSANDRA_LOCAL_DC: "datacenter1",
    });
    await client.connect();
    await migrate(client, {
      keyspace,
      replication: "{'class': 'SimpleStrategy', 'replication_factor': 1}",
    });
    await applyRetention(client, keyspace);
    stored = await storedTables(client, keyspace);
  }, 120_000);

  afterAll(async () => {
    await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await client.shutdown();
  });

  test("a keyspace migrated by every cql/ file, then brought to the default retention, has exactly the tables, columns, keys, TTLs and compaction windows the layout declares", () => {
    expect(stored.get("ticks")?.partitionKey).toEqual(["symbol", "day"]);
    expect(differences(TABLES, stored)).toEqual([]);
  });

  test("a layout that differs from the migrations is reported, naming the table and what differs", () => {
    const { vwap: _, ...withoutVwap } = BARS_1M.columns;
    const drifted: TableLayout[] = [
      ...TABLES.filter((layout) => layout.name !== "bars_1m"),
      { ...BARS_1M, columns: { ...withoutVwap, venue: "text" }, ttlSeconds: 60 },
    ];
    const found = differences(drifted, stored);
    expect(found).toHaveLength(2);
    expect(found[0]).toStartWith("bars_1m.columns:");
    expect(found[1]).toBe("bars_1m.ttlSeconds: layout 60, cql/ 63072000");
  });
});
