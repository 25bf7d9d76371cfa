#!/usr/bin/env bun
/**
 * `bun run cql "<statement>"`: runs one CQL statement against CASSANDRA_CONTACT_POINTS and prints the
 * rows as a table — enough to look at the pipeline's tables without installing cqlsh.
 *
 * @example
 *   bun run cql "SELECT symbol, price, event_time FROM market.latest_quotes"
 */
import { cassandraEnv, loadConfig } from "@repo/platform/config";
import { connectCassandra, createCassandraClient } from "./client.ts";

const statement = process.argv.slice(2).join(" ").trim();
if (!statement) {
  console.error('usage: bun run cql "SELECT ... FROM market.latest_quotes"');
  process.exit(2);
}

const config = loadConfig(cassandraEnv);
const client = createCassandraClient(config, { applicationName: "cql-cli" });
try {
  await connectCassandra(client, config);
  const result = await client.execute(statement, [], { prepare: false, fetchSize: 1000 });
  const columns = result.columns?.map((c) => c.name) ?? [];
  if (columns.length === 0) {
    console.log("ok");
  } else {
    const cells = result.rows.map((row) => columns.map((c) => format(row.get(c))));
    const widths = columns.map((c, i) =>
      Math.max(c.length, ...cells.map((r) => (r[i] ?? "").length)),
    );
    const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(" | ");
    console.log(line(columns));
    console.log(widths.map((w) => "-".repeat(w)).join("-+-"));
    for (const row of cells) console.log(line(row));
    console.log(`(${result.rowLength} rows${result.pageState ? ", more available" : ""})`);
  }
} catch (error) {
  console.error(`cql: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  await client.shutdown();
}

function format(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (value instanceof Date) return value.toISOString();
  return String(value);
}
