/**
 * `bun run schemas:push [--dry-run] [--schema-dir DIR] [--topic-prefix PREFIX]`: creates the
 * declared topics and registers the value schemas from schemas/*.avsc.
 * Env (validated by `loadProvisionConfig`, the services' Kafka and registry variables; a bad value
 * exits 2 naming it): KAFKA_BROKERS (default 127.0.0.1:9092), the Kafka SASL/TLS variables
 * (`KAFKA_SECURITY_PROTOCOL`, `KAFKA_SASL_*`, `KAFKA_SSL_CA_FILE`), SCHEMA_REGISTRY_URL (default
 * http://127.0.0.1:8081) with `SCHEMA_REGISTRY_USERNAME`/`_PASSWORD` and `SCHEMA_REGISTRY_CA_FILE`,
 * `KAFKA_REPLICATION_FACTOR` (default 1) and `TOPIC_PARTITIONS_<TOPIC>` (default as declared).
 */
import { readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { kafkaSecurity, registryAccess } from "@repo/platform/security";
import { configOrExit } from "@repo/platform/startup";
import { loadProvisionConfig } from "./config.ts";
import { prefixTopics, pushSchemas } from "./push.ts";

const usage = "usage: schemas:push [--dry-run] [--schema-dir DIR] [--topic-prefix PREFIX]";
const { values: args } = (() => {
  try {
    return parseArgs({
      options: {
        "dry-run": { type: "boolean", default: false },
        "schema-dir": { type: "string" },
        "topic-prefix": { type: "string", default: "" },
      },
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    process.exit(2);
  }
})();
const schemaDir = args["schema-dir"]
  ? resolve(args["schema-dir"])
  : fileURLToPath(new URL("../../../schemas/", import.meta.url));

const config = configOrExit(() => loadProvisionConfig());

if (!args["schema-dir"]) {
  for (const topic of config.topics) {
    if (topic.value === "bytes") continue;
    const onDisk = readFileSync(join(schemaDir, basename(topic.value.schemaFile)), "utf8");
    if (JSON.stringify(JSON.parse(onDisk)) !== JSON.stringify(topic.value.schema)) {
      console.error(
        `${topic.value.schemaFile} changed since libs/contracts/src/generated was built: run \`bun run generate\` first.`,
      );
      process.exit(1);
    }
  }
}

try {
  const report = await pushSchemas({
    brokers: config.KAFKA_BROKERS,
    kafkaSecurity: kafkaSecurity(config),
    registry: registryAccess(config),
    dryRun: args["dry-run"],
    schemaDir,
    topics: prefixTopics(config.topics, args["topic-prefix"]),
    log: (line) => console.log(line),
  });
  process.exit(report.errors.length > 0 ? 1 : 0);
} catch (error) {
  console.error(`schemas:push failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
