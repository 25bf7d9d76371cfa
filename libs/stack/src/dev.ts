#!/usr/bin/env bun
/**
 * The infrastructure half of `turbo run dev`: starts the local stack components that the environment
 * does not point elsewhere, applies the CQL migrations, pushes topics and schemas, then stays in the
 * foreground until Ctrl-C, when it stops exactly the components it started.
 *
 * Set KAFKA_BROKERS, SCHEMA_REGISTRY_URL or CASSANDRA_CONTACT_POINTS to use existing servers instead.
 */
import { migrateKeyspace, migrationEnv } from "@repo/cassandra";
import { loadConfig, topicPrefixEnv } from "@repo/platform/config";
import { kafkaSecurity, registryAccess } from "@repo/platform/security";
import { configOrExit } from "@repo/platform/startup";
import { prefixTopics, provisionEnv, pushSchemas, sizeTopics } from "@repo/provision";
import type { Component } from "./components/types.ts";
import { stackConfig } from "./config.ts";
import { StackError } from "./ports.ts";
import { runningRecord } from "./process.ts";
import { components, down, up } from "./stack.ts";

const log = (line: string) => console.log(`[stack] ${line}`);

const external: Record<Component["name"], string | undefined> = {
  kafka: stackConfig.KAFKA_BROKERS,
  registry: stackConfig.SCHEMA_REGISTRY_URL,
  cassandra: stackConfig.CASSANDRA_CONTACT_POINTS,
  prometheus: undefined,
};

async function main() {
  const config = configOrExit(() =>
    loadConfig({ ...provisionEnv, ...migrationEnv, ...topicPrefixEnv }),
  );
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

  const report = await migrateKeyspace(config, { applicationName: "dev-migrate", retries: 10 });
  log(
    `migrations: ${report.applied.length} applied, ${report.alreadyApplied.length} already applied`,
  );

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
