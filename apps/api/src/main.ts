import { join } from "node:path";
import { consistencyNamed, createCassandraClient } from "@repo/cassandra";
import { startServer } from "@repo/platform/http";
import { createLogger } from "@repo/platform/log";
import { sleep, withRetry } from "@repo/platform/retry";
import { configOrExit } from "@repo/platform/startup";
import { createStats } from "@repo/platform/stats";
import { createApiApp } from "./app.ts";
import { loadApiConfig } from "./config.ts";
import { createMarketReader } from "./market/reader.ts";
import { createPipelineProbe } from "./pipeline/health.ts";
import { createMarketStream } from "./stream/market-stream.ts";

const config = configOrExit(loadApiConfig);
const log = createLogger("api", config.LOG_LEVEL);
const stats = createStats();
const client = createCassandraClient(config, {
  keyspace: config.CASSANDRA_KEYSPACE,
  consistency: consistencyNamed(config.CASSANDRA_CONSISTENCY),
  applicationName: "api",
});
const reader = createMarketReader(client);
const stream = createMarketStream({
  source: reader,
  pollMs: config.API_STREAM_POLL_MS,
  log,
  stats,
});
let cassandraOk = false;
let stopped = false;
const stopConnecting = new AbortController();

const app = createApiApp({
  log,
  stats,
  allowedOrigins: config.ALLOWED_ORIGINS,
  reader,
  stream,
  maxStreamClients: config.API_STREAM_MAX_CLIENTS,
  pipeline: createPipelineProbe({
    ingest: config.INGEST_URL,
    producer: config.PRODUCER_URL,
    consumer: config.CONSUMER_URL,
  }),
  cassandraConnected: () => cassandraOk,
  readiness: () => ({ ready: cassandraOk, checks: { cassandra: { ok: cassandraOk } } }),
  dashboardDir: join(import.meta.dir, "../dist/public"),
});

startServer({
  app,
  host: config.HOST,
  port: config.PORT,
  log,
  graceMs: config.SHUTDOWN_GRACE_MS,
  async shutdown() {
    stopped = true;
    stopConnecting.abort();
    stream.close();
    await client.shutdown();
  },
});

await withRetry(() => client.connect(), {
  retries: Number.POSITIVE_INFINITY,
  minDelayMs: 500,
  maxDelayMs: 5_000,
  signal: stopConnecting.signal,
  onRetry: (error, attempt) =>
    log.warn({ err: error, attempt }, "Cassandra not reachable yet; retrying"),
}).catch((error: unknown) => {
  if (!stopped) throw error;
});
log.info({ keyspace: config.CASSANDRA_KEYSPACE }, "connected to Cassandra");
while (!stopped) {
  cassandraOk = await reader.ping();
  await sleep(2_000);
}
