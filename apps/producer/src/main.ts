import { createKafkaProducer } from "@repo/kafka-node";
import { isRetriable } from "@repo/platform/errors";
import { createServiceApp, startServer } from "@repo/platform/http";
import { createLogger } from "@repo/platform/log";
import { withRetry } from "@repo/platform/retry";
import { kafkaSecurity, registryAccess } from "@repo/platform/security";
import { configOrExit, exitIfRefused } from "@repo/platform/startup";
import { createStats } from "@repo/platform/stats";
import { createSchemaRegistryClient } from "@repo/registry";
import { loadProducerConfig } from "./config.ts";
import { authorizeWrites } from "./http/authorize.ts";
import { mountRecordRoutes } from "./http/routes.ts";
import { createReadiness } from "./readiness.ts";
import { createPublisher } from "./records/publish.ts";
import { producerStats } from "./stats.ts";

const config = configOrExit(loadProducerConfig);
const log = createLogger("producer", config.LOG_LEVEL);
const stats = createStats();
const tokenNames = config.tokens.map((token) => token.name);
if (tokenNames.length > 0) log.info({ tokenNames }, "writes need a bearer token");
else log.info("no PRODUCER_TOKENS: unauthenticated writes, listening on loopback only");
const deliveryLatency = stats.latency("deliveryLatencyMs");

const kafka = createKafkaProducer({
  brokers: config.KAFKA_BROKERS,
  clientId: "marketpipe-producer",
  security: kafkaSecurity(config),
  deliveryTimeoutMs: config.DELIVERY_TIMEOUT_MS,
  maxInFlight: config.PRODUCER_MAX_IN_FLIGHT,
  onDelivery: (latencyMs) => deliveryLatency.record(latencyMs),
  onEvent: (event) => log.warn({ code: event.code }, `kafka: ${event.message}`),
});
const encoder = createSchemaRegistryClient({
  ...registryAccess(config),
  ttlMs: config.SCHEMA_CACHE_TTL_MS,
  onStale: (subject, error) =>
    log.warn({ subject, err: error }, "registry unreachable; producing with the cached schema id"),
});

const app = createServiceApp({
  service: "producer",
  log,
  maxBodyBytes: config.MAX_BODY_BYTES,
  allowedOrigins: config.ALLOWED_ORIGINS,
  stats: () =>
    producerStats(
      stats,
      {
        connected: kafka.connected,
        queueDepth: kafka.inFlight,
        cachedSchemaIds: encoder.cachedSchemaIds,
      },
      tokenNames,
    ),
  readiness: createReadiness({ kafka, registry: encoder }),
});
mountRecordRoutes(app, {
  maxRecords: config.PRODUCER_MAX_RECORDS,
  authorize: authorizeWrites({ tokens: config.tokens, stats, log }),
  publish: createPublisher({
    topicPrefix: config.TOPIC_PREFIX,
    sink: kafka,
    encoder,
    stats,
    maxFutureSkewMs: config.MAX_CLOCK_SKEW_MS,
    retryAfterSeconds: Math.max(1, Math.ceil(config.DELIVERY_TIMEOUT_MS / 10_000)),
  }),
});

const stopConnecting = new AbortController();
// Refused registry credentials or an untrusted registry certificate stop the service at start-up.
void withRetry(() => encoder.checkAccess(5_000), {
  retries: Number.POSITIVE_INFINITY,
  minDelayMs: 500,
  maxDelayMs: 10_000,
  signal: stopConnecting.signal,
  shouldRetry: isRetriable,
}).catch((error: unknown) => exitIfRefused(log, error));
void withRetry(() => kafka.connect(10_000), {
  retries: Number.POSITIVE_INFINITY,
  minDelayMs: 500,
  maxDelayMs: 10_000,
  signal: stopConnecting.signal,
  shouldRetry: isRetriable,
  onRetry: (error) =>
    log.warn({ err: error }, "Kafka not reachable; requests answer 503 until it is"),
}).then(
  () => log.info({ brokers: config.KAFKA_BROKERS }, "connected to Kafka"),
  (error: unknown) => exitIfRefused(log, error),
);

startServer({
  app,
  host: config.HOST,
  port: config.PORT,
  log,
  graceMs: config.SHUTDOWN_GRACE_MS,
  async shutdown() {
    stopConnecting.abort();
    const inFlight = kafka.inFlight();
    await kafka.flush(Math.max(1_000, config.SHUTDOWN_GRACE_MS - 3_000)).catch((error: Error) => {
      log.error(
        { err: error, inFlight: kafka.inFlight() },
        "flush did not finish; unacknowledged records are lost to their callers",
      );
    });
    log.info({ flushed: inFlight }, "flushed in-flight records");
    await kafka.disconnect();
  },
});
