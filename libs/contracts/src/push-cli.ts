/**
 * `bun run schemas:push [--dry-run]`: creates the declared topics and registers the value
 * schemas from schemas/*.avsc. Env: KAFKA_BROKERS (default 127.0.0.1:9092),
 * SCHEMA_REGISTRY_URL (default http://127.0.0.1:8081).
 */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { pushSchemas } from "./push.ts";

const env = z
  .object({
    KAFKA_BROKERS: z.string().min(1).default("127.0.0.1:9092"),
    SCHEMA_REGISTRY_URL: z.url().default("http://127.0.0.1:8081"),
  })
  .safeParse(process.env);
if (!env.success) {
  for (const issue of env.error.issues) console.error(`${issue.path.join(".")}: ${issue.message}`);
  process.exit(1);
}

try {
  const report = await pushSchemas({
    brokers: env.data.KAFKA_BROKERS.split(",").map((broker) => broker.trim()),
    registryUrl: env.data.SCHEMA_REGISTRY_URL,
    dryRun: process.argv.includes("--dry-run"),
    schemaDir: fileURLToPath(new URL("../../../schemas/", import.meta.url)),
    log: (line) => console.log(line),
  });
  process.exit(report.errors.length > 0 ? 1 : 0);
} catch (error) {
  console.error(`schemas:push failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
