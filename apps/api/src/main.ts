import { join } from "node:path";
import { connectCassandra, consistencyNamed, createCassandraClient } from "@repo/cassandra";
import { bootService } from "@repo/platform/startup";
import { createApiApp } from "./app.ts";
import { loadApiConfig } from "./config.ts";
import { createMarketReader } from "./market/reader.ts";
import { createPipelineProbe } from "./pipeline/health.ts";
import { createCassandraWatch } from "./readiness.ts";
import { createMarketStream } from "./stream/market-stream.ts";

const { config, log, stats, stopping, serve, untilConnected } = bootService("api", loadApiConfig);
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
const cassandra = createCassandraWatch({ ping: () => reader.ping() });

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
  cassandraConnected: cassandra.connected,
  readiness: cassandra.readiness,
  dashboardDir: join(import.meta.dir, "../dist/public"),
});

serve(app, async () => {
  stream.close();
  await client.shutdown();
});

if (await untilConnected("Cassandra", () => connectCassandra(client, config))) {
  log.info({ keyspace: config.CASSANDRA_KEYSPACE }, "connected to Cassandra");
  await cassandra.start(stopping);
}
