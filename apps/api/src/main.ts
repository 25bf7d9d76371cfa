import { fileURLToPath } from "node:url";
import { connectCassandra, createServiceClient } from "@repo/cassandra";
import { topicNames } from "@repo/contracts";
import { httpLimits } from "@repo/platform/http";
import { kafkaSecurity, registryAccess } from "@repo/platform/security";
import { bootService } from "@repo/platform/startup";
import { createSchemaRegistryClient, registryConnection, registryTimeouts } from "@repo/registry";
import { createAlertFeed } from "./analytics/alert-feed.ts";
import { createAnalyticsUpstream } from "./analytics/upstream.ts";
import { createApiApp } from "./app.ts";
import { loadApiConfig } from "./config.ts";
import { isLoopback } from "./http/console-routes.ts";
import { createKafkaConsole } from "./kafka/rdkafka-console.ts";
import { createCursorCodec } from "./market/cursor.ts";
import { createMarketReader } from "./market/reader.ts";
import { consumerReader, createJobHistory } from "./ops/job-history.ts";
import { createUpstream } from "./ops/upstream.ts";
import { createPipelineProbe } from "./pipeline/health.ts";
import { createReadiness } from "./readiness.ts";
import { createSchemaCatalog } from "./schemas/registry-view.ts";
import { createStreamAdmission } from "./stream/admission.ts";
import { createFeedDecoder } from "./stream/feed.ts";
import { createKafkaStreamFeed } from "./stream/kafka-feed.ts";
import { createMarketStream } from "./stream/market-stream.ts";

const { config, log, stats, serve, untilConnected } = bootService("api", loadApiConfig);
const { client } = createServiceClient(config, "api");
const reader = createMarketReader(client);
const admission = createStreamAdmission({
  maxClients: config.API_STREAM_MAX_CLIENTS,
  maxPerClient: config.API_STREAM_MAX_PER_CLIENT,
});
const kafka = createKafkaConsole({
  brokers: config.KAFKA_BROKERS,
  security: kafkaSecurity(config),
  requestTimeoutMs: config.API_KAFKA_TIMEOUT_MS,
});
const registry = createSchemaRegistryClient({
  ...registryAccess(config),
  ...registryTimeouts(config),
});
const topics = topicNames(config.TOPIC_PREFIX);
const stream = createMarketStream({
  source: reader,
  feed: createKafkaStreamFeed({
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    topics: [topics.ticks, topics.bars],
    decode: createFeedDecoder({
      types: (schemaId) => registry.typeOf(schemaId),
      ticksTopic: topics.ticks,
      barsTopic: topics.bars,
      maxFutureSkewMs: config.MAX_CLOCK_SKEW_MS,
    }),
    publish: (events) => stream.publish(events),
    log,
    stats,
  }),
  idleStopMs: config.API_STREAM_IDLE_STOP_MS,
  log,
  stats,
});
const health = createReadiness({ ping: () => reader.ping() });
const job = createJobHistory({
  read: consumerReader(config.CONSUMER_URL, Math.min(config.API_UPSTREAM_TIMEOUT_MS, 2_000)),
  sampleMs: config.API_JOB_SAMPLE_MS,
  windowMs: config.API_JOB_WINDOW_MS,
  log,
});
job.start();
if (config.operatorTokens.length > 0)
  log.info({ operators: config.operatorTokens.map((t) => t.name) }, "operator tokens configured");

const alerts = createAlertFeed({
  baseUrl: config.ANALYTICS_URL,
  connectTimeoutMs: config.API_UPSTREAM_TIMEOUT_MS,
  log,
});

const app = createApiApp({
  log,
  ...httpLimits(config),
  stats,
  reader,
  stream,
  admission,
  streamLimits: {
    queueMax: config.API_STREAM_QUEUE_MAX,
    writeTimeoutMs: config.API_STREAM_WRITE_TIMEOUT_MS,
    retryMs: config.API_STREAM_RETRY_MS,
  },
  cursors: createCursorCodec({ key: config.cursorKey, ttlMs: config.API_CURSOR_TTL_MS }),
  operatorTokens: config.operatorTokens,
  pipeline: createPipelineProbe({
    ingest: config.INGEST_URL,
    producer: config.PRODUCER_URL,
    consumer: config.CONSUMER_URL,
  }),
  console: {
    kafka,
    catalog: createSchemaCatalog(
      registryConnection(registryAccess(config), registryTimeouts(config)),
      config.SCHEMA_REGISTRY_TIMEOUT_MS,
    ),
    types: (schemaId) => registry.typeOf(schemaId),
    topics: { ticks: topics.ticks, deadLetter: topics.deadLetter },
    limits: {
      scanMax: config.API_KAFKA_SCAN_MAX,
      timeoutMs: config.API_KAFKA_TIMEOUT_MS,
      redriveMax: config.API_REDRIVE_MAX,
    },
    loopbackOnly: isLoopback(config.HOST) || config.HOST === "localhost",
    maxFutureSkewMs: config.MAX_CLOCK_SKEW_MS,
  },
  ops: {
    ingest: createUpstream({
      name: "ingest",
      baseUrl: config.INGEST_URL,
      token: config.INGEST_OPERATOR_TOKEN,
      timeoutMs: config.API_UPSTREAM_TIMEOUT_MS,
      log,
    }),
    prometheus: createUpstream({
      name: "prometheus",
      baseUrl: config.PROMETHEUS_URL,
      timeoutMs: config.API_UPSTREAM_TIMEOUT_MS,
      log,
    }),
    job,
  },
  analytics: {
    analytics: createAnalyticsUpstream({
      baseUrl: config.ANALYTICS_URL,
      token: config.ANALYTICS_OPERATOR_TOKEN,
      timeoutMs: config.API_UPSTREAM_TIMEOUT_MS,
      log,
    }),
    alerts,
  },
  cassandraConnected: () => health.healthy("cassandra"),
  readiness: health.readiness,
  // src/main.ts and the bundle dist/main.js both sit one folder below apps/api.
  dashboardDir: fileURLToPath(new URL("../dist/public", import.meta.url)),
});

serve(app, async () => {
  const streamClosed = stream.close();
  const probesStopped = health.stop();
  alerts.close();
  job.stop();
  if (!(await admission.idle(2_000)))
    log.warn({ open: admission.open() }, "streams still open after their shutdown event");
  await Promise.allSettled([streamClosed, probesStopped, client.shutdown(), kafka.close()]);
});

if (await untilConnected("Cassandra", () => connectCassandra(client, config))) {
  log.info({ keyspace: config.CASSANDRA_KEYSPACE }, "connected to Cassandra");
  health.start();
}
