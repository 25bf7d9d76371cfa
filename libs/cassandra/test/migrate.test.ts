import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { cassandraEnv, childEnv, loadConfig } from "@repo/platform/config";
import { createCassandraClient } from "../src/client.ts";

const repoRoot = resolve(import.meta.dir, "../../..");
const uniqueId = (prefix: string) => `${prefix}_${randomBytes(5).toString("hex")}`;

async function cassandraClient() {
  const client = createCassandraClient({
    CASSANDRA_CONTACT_POINTS: loadConfig(cassandraEnv).CASSANDRA_CONTACT_POINTS,
    CASSANDRA_LOCAL_DC: "datacenter1",
  });
  await client.connect();
  return client;
}

async function dropKeyspace(keyspace: string) {
  const client = await cassandraClient();
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).finally(() => client.shutdown());
}
const migrateCli = (env: Record<string, string>) =>
  spawnSync("bun", ["run", "cql:migrate"], {
    cwd: repoRoot,
    env: childEnv(env),
    encoding: "utf8",
  });

describe("bun run cql:migrate", () => {
  const keyspace = uniqueId("migrate");
  afterAll(() => dropKeyspace(keyspace));

  test("creates the keyspace, records what it applied, and is idempotent", async () => {
    const first = migrateCli({ CASSANDRA_KEYSPACE: keyspace });
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("applied 001_keyspace.cql");

    const second = migrateCli({ CASSANDRA_KEYSPACE: keyspace });
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(`keyspace ${keyspace} is up to date`);

    const client = await cassandraClient();
    try {
      const ks = await client.execute(
        "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?",
        [keyspace],
      );
      expect(ks.first()?.get("replication")).toMatchObject({
        class: "org.apache.cassandra.locator.SimpleStrategy",
        replication_factor: "1",
      });
      const ledger = await client.execute(
        `SELECT version, name, checksum FROM ${keyspace}.schema_migrations`,
      );
      const versions = ledger.rows.map((r) => r.get("version") as number).sort((a, b) => a - b);
      expect(versions[0]).toBe(1);
      expect(new Set(versions).size).toBe(versions.length);
    } finally {
      await client.shutdown();
    }
  }, 60_000);

  test("retention comes from RETENTION_*_DAYS: each table's TTL and TWCS window are altered to match, and a second run changes nothing", async () => {
    const ks = uniqueId("migrate_retention");
    const env = {
      CASSANDRA_KEYSPACE: ks,
      RETENTION_TICKS_DAYS: "7",
      RETENTION_BARS_DAYS: "0",
      RETENTION_INGEST_BACKFILLS_DAYS: "14",
    };
    const client = await cassandraClient();
    const schema = async () => {
      const rows = await client.execute(
        "SELECT table_name, default_time_to_live, compaction FROM system_schema.tables WHERE keyspace_name = ?",
        [ks],
      );
      return Object.fromEntries(
        rows.rows.map((row) => {
          const { class: strategy, compaction_window_size: window } = row.get("compaction");
          return [
            row.get("table_name"),
            [row.get("default_time_to_live"), strategy.split(".").pop(), window],
          ];
        }),
      );
    };
    try {
      const first = migrateCli(env);
      expect(first.status).toBe(0);
      expect(first.stdout).toContain("retention ticks: default_time_to_live 7776000 → 604800 s\n");
      expect(first.stdout).toContain(
        "retention bars_1m: default_time_to_live 63072000 → 0 s, TWCS window 7 → 25 days",
      );
      expect(first.stdout).toContain(
        "retention ingest_backfills: default_time_to_live 7776000 → 1209600 s",
      );
      const configured = await schema();
      expect(configured.ticks).toEqual([604_800, "TimeWindowCompactionStrategy", "1"]);
      expect(configured.bars_1m).toEqual([0, "TimeWindowCompactionStrategy", "25"]);
      expect(configured.indicators_1m).toEqual([63_072_000, "TimeWindowCompactionStrategy", "25"]);
      expect(configured.ingest_backfills?.[0]).toBe(1_209_600);
      expect(configured.latest_quotes?.[0]).toBe(0);

      const second = migrateCli(env);
      expect(second.status).toBe(0);
      expect(second.stdout).toContain(
        "retention: every table's TTL and compaction window as configured",
      );
      expect(second.stdout).not.toContain("retention ticks");
      expect(await schema()).toEqual(configured);
    } finally {
      await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
      await client.shutdown();
    }
  }, 120_000);

  test("a retention below 0 days is refused before connecting: exit 2 naming the variable", () => {
    const run = migrateCli({ CASSANDRA_KEYSPACE: "market", RETENTION_TICKS_DAYS: "-1" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("RETENTION_TICKS_DAYS");
  });

  test("a migration edited after it was applied is refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "cql-"));
    const ks = uniqueId("migrate_edit");
    writeFileSync(
      join(dir, "001_keyspace.cql"),
      "CREATE KEYSPACE IF NOT EXISTS {{keyspace}} WITH replication = {{replication}};",
    );
    const script = `import { createCassandraClient, migrate } from "${resolve(import.meta.dir, "../src/index.ts")}";
      const c = createCassandraClient({ CASSANDRA_CONTACT_POINTS: ["127.0.0.1:9042"], CASSANDRA_LOCAL_DC: "datacenter1" });
      const opts = { keyspace: "${ks}", replication: "{'class':'SimpleStrategy','replication_factor':1}", dir: "${dir}" };
      try { await migrate(c, opts); await Bun.write("${dir}/001_keyspace.cql", "-- edited\\n" + await Bun.file("${dir}/001_keyspace.cql").text());
        await migrate(c, opts); console.log("NOT REFUSED"); }
      catch (e) { console.log("REFUSED: " + e.message); }
      finally { await c.execute("DROP KEYSPACE IF EXISTS ${ks}"); await c.shutdown(); }`;
    const run = spawnSync("bun", ["-e", script], { cwd: repoRoot, encoding: "utf8" });
    expect(run.stdout).toContain("REFUSED: 001_keyspace.cql changed after it was applied");
  }, 30_000);

  test("an unreachable cluster is named with a non-zero exit", () => {
    const run = migrateCli({
      CASSANDRA_CONTACT_POINTS: "127.0.0.1:1",
      CASSANDRA_KEYSPACE: "market",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("cannot reach Cassandra at 127.0.0.1:1");
  }, 30_000);

  test("an invalid keyspace name is rejected before connecting: exit 2 naming it, like a service", () => {
    const run = migrateCli({ CASSANDRA_KEYSPACE: "Drop Table" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("CASSANDRA_KEYSPACE");
  });
});
