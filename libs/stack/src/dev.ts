#!/usr/bin/env bun
/**
 * The infrastructure half of `turbo run dev`: starts the local stack components that the environment
 * does not point elsewhere, applies the CQL migrations, pushes topics and schemas, then stays in the
 * foreground until Ctrl-C, when it stops exactly the components it started.
 *
 * Set KAFKA_BROKERS, SCHEMA_REGISTRY_URL or CASSANDRA_CONTACT_POINTS to use existing servers instead.
 */
import { connectCassandra, createCassandraClient, migrate } from "@repo/cassandra";
import { cassandraEnv, loadConfig, z } from "@repo/platform/config";
import { isRetriable } from "@repo/platform/errors";
import { withRetry } from "@repo/platform/retry";
import { kafkaSecurity, registryAccess } from "@repo/platform/security";
import { prefixTopics, provisionEnv, pushSchemas, sizeTopics } from "@repo/provision";
import type { Component } from "./components/types.ts";
import { StackError } from "./ports.ts";
import { runningRecord } from "./process.ts";
import { components, down, up } from "./stack.ts";

const log = (line: string) => console.log(`[stack] ${line}`);

const external: Record<Component["name"], string | undefined> = {
  kafka: process.env.KAFKA_BROKERS,
  registry: process.env.SCHEMA_REGISTRY_URL,
  cassandra: process.env.CASSANDRA_CONTACT_POINTS,
};

async function main() {
  const config = loadConfig({
    ...provisionEnv,
    ...cassandraEnv,
    CASSANDRA_REPLICATION: z
      .string()
      .default("{'class': 'SimpleStrategy', 'replication_factor': 1}"),
    TOPIC_PREFIX: z.string().default(""),
  });
  const local = components.filter((c) => !external[c.name]);
  for (const c of components.filter((c) => external[c.name]))
    log(`${c.name}: using ${external[c.name]}`);
  const startedHere = local.filter((c) => !runningRecord(c.name));

  const stop = async (signal: string) => {
    log(
      `${signal}: stopping ${startedHere.map((c) => c.name).join(", ") || "nothing (stack was already running)"}`,
    );
    await down(startedHere);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  if (local.length > 0) {
    const rows = await up(local);
    for (const row of rows) log(`${row.name} ${row.version} at ${row.endpoint}`);
  }

  const client = createCassandraClient(config, { applicationName: "dev-migrate" });
  try {
    await withRetry(() => connectCassandra(client, config), {
      retries: 10,
      minDelayMs: 500,
      shouldRetry: isRetriable,
    });
    const report = await migrate(client, {
      keyspace: config.CASSANDRA_KEYSPACE,
      replication: config.CASSANDRA_REPLICATION,
    });
    log(
      `migrations: ${report.applied.length} applied, ${report.alreadyApplied.length} already applied`,
    );
  } finally {
    await client.shutdown();
  }

  const push = await pushSchemas({
    brokers: config.KAFKA_BROKERS,
    kafkaSecurity: kafkaSecurity(config),
    registry: registryAccess(config),
    topics: prefixTopics(sizeTopics(config), config.TOPIC_PREFIX),
    log: (line) => log(`schemas: ${line}`),
  });
  if (push.errors.length > 0)
    throw new StackError(`schemas:push refused: ${push.errors.join("; ")}`);
  log(
    "infrastructure ready; the dashboard opens at http://127.0.0.1:3004/; Ctrl-C stops the pipeline",
  );
  setInterval(() => {}, 1 << 30);
}

main().catch(async (error) => {
  console.error(`[stack] ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
