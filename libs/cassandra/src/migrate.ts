import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type cassandra from "cassandra-driver";

/** `cql/` at the repository root (import.meta.dir is Bun-only; Node services import this module too). */
export const defaultMigrationsDir = resolve(
  import.meta.dir ?? dirname(fileURLToPath(import.meta.url)),
  "../../../cql",
);

export interface Migration {
  version: number;
  name: string;
  file: string;
  checksum: string;
  statements: string[];
}

export interface MigrateOptions {
  keyspace: string;
  /** CQL replication map for the keyspace, e.g. `{'class':'SimpleStrategy','replication_factor':1}`. */
  replication: string;
  dir?: string;
  log?: (line: string) => void;
}

/** Reads `cql/NNN_name.cql` files in version order; `{{keyspace}}` and `{{replication}}` are substituted. */
export function loadMigrations(options: MigrateOptions): Migration[] {
  const dir = options.dir ?? defaultMigrationsDir;
  const files = readdirSync(dir).filter((f) => /^\d{3}_[a-z0-9_]+\.cql$/.test(f));
  const seen = new Set<number>();
  return files
    .map((file) => {
      const version = Number(file.slice(0, 3));
      if (seen.has(version)) throw new Error(`two migrations share version ${version} in ${dir}`);
      seen.add(version);
      const raw = readFileSync(join(dir, file), "utf8");
      const text = raw
        .replaceAll("{{keyspace}}", options.keyspace)
        .replaceAll("{{replication}}", options.replication);
      return {
        version,
        name: file.slice(4, -4),
        file,
        checksum: createHash("sha256").update(raw).digest("hex").slice(0, 16),
        statements: splitStatements(text),
      };
    })
    .sort((a, b) => a.version - b.version);
}

/** Splits CQL text into statements on `;`, dropping `--` and `//` comment lines. */
export function splitStatements(text: string): string[] {
  const withoutComments = text
    .split("\n")
    .filter((line) => !/^\s*(--|\/\/)/.test(line))
    .join("\n");
  return withoutComments
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

/**
 * Applies pending migrations in order and records each in `<keyspace>.schema_migrations`. Idempotent:
 * applied versions are skipped; a changed file that was already applied is an error, not a silent skip.
 */
export async function migrate(
  client: cassandra.Client,
  options: MigrateOptions,
): Promise<MigrationReport> {
  const log = options.log ?? (() => {});
  const migrations = loadMigrations(options);
  const [first] = migrations;
  if (first?.version !== 1)
    throw new Error("the first migration (001_*.cql) must create the keyspace");

  const ks = options.keyspace;
  const keyspaceExists =
    (
      await client.execute(
        "SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?",
        [ks],
      )
    ).rowLength > 0;
  const applied = new Map<number, string>();
  if (keyspaceExists) {
    await ensureLedger(client, ks);
    const rows = await client.execute(`SELECT version, checksum FROM ${ks}.schema_migrations`);
    for (const row of rows.rows)
      applied.set(row.get("version") as number, row.get("checksum") as string);
  }

  const report: MigrationReport = { applied: [], alreadyApplied: [] };
  for (const migration of migrations) {
    const recorded = applied.get(migration.version);
    if (recorded !== undefined) {
      if (recorded !== migration.checksum) {
        throw new Error(
          `${migration.file} changed after it was applied to ${ks} (checksum ${recorded} → ${migration.checksum}); ` +
            "add a new migration instead of editing an applied one",
        );
      }
      report.alreadyApplied.push(migration.file);
      continue;
    }
    for (const statement of migration.statements) await client.execute(statement);
    await ensureLedger(client, ks);
    await client.execute(
      `INSERT INTO ${ks}.schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, toTimestamp(now()))`,
      [migration.version, migration.name, migration.checksum],
    );
    report.applied.push(migration.file);
    log(`applied ${migration.file}`);
  }
  return report;
}

async function ensureLedger(client: cassandra.Client, keyspace: string) {
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${keyspace}.schema_migrations (
       version int PRIMARY KEY, name text, checksum text, applied_at timestamp)`,
  );
}
