import { createKafkaProducer } from "@repo/kafka-node";
import { httpLimits } from "@repo/platform/http";
import { kafkaSecurity, registryAccess } from "@repo/platform/security";
import { bootService } from "@repo/platform/startup";
import { createSchemaRegistryClient, registryTimeouts } from "@repo/registry";
import { createProducerApp } from "./app.ts";
import { loadProducerConfig } from "./config.ts";
import { createReadiness } from "./readiness.ts";
import { createPublisher } from "./records/publish.ts";
import { METRIC } from "./stats.ts";

const { config, log, stats, serve, untilConnected } = bootService("producer", loadProducerConfig);
const tokenNames = config.tokens.map((token) => token.name);
if (tokenNames.length > 0) log.info({ tokenNames }, "writes need a bearer token");
else log.info("no PRODUCER_TOKENS: unauthenticated writes, listening on loopback only");
const deliveryLatency = stats.latency(METRIC.deliveryLatencyMs);

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
  ...registryTimeouts(config),
  ttlMs: config.SCHEMA_CACHE_TTL_MS,
  onStale: (subject, error) =>
    log.warn({ subject, err: error }, "registry unreachable; producing with the cached schema id"),
});

const health = createReadiness({ kafka, registry: encoder });
health.start();
const app = createProducerApp({
  log,
  ...httpLimits(config),
  readiness: health.readiness,
  stats,
  view: {
    connected: kafka.connected,
    queueDepth: kafka.inFlight,
    cachedSchemaIds: encoder.cachedSchemaIds,
    tokenNames,
  },
  publish: createPublisher({
    topicPrefix: config.TOPIC_PREFIX,
    sink: kafka,
    encoder,
    stats,
    maxFutureSkewMs: config.MAX_CLOCK_SKEW_MS,
    retryAfterSeconds: Math.max(1, Math.ceil(config.DELIVERY_TIMEOUT_MS / 10_000)),
  }),
  tokens: config.tokens,
  maxRecords: config.PRODUCER_MAX_RECORDS,
});

serve(app, async () => {
  await health.stop();
  const inFlight = kafka.inFlight();
  await kafka.flush(Math.max(1_000, config.SHUTDOWN_GRACE_MS - 3_000)).catch((error: Error) => {
    log.error(
      { err: error, inFlight: kafka.inFlight() },
      "flush did not finish; unacknowledged records are lost to their callers",
    );
  });
  log.info({ flushed: inFlight }, "flushed in-flight records");
  await kafka.disconnect();
});

// Refused registry credentials, an untrusted registry certificate or a SCHEMA_REGISTRY_URL that
// leads to something other than a registry stop the service at start-up (exit 2, naming the
// setting); a registry or Kafka that is merely down is retried while requests answer 503.
void untilConnected(
  "schema registry",
  () => encoder.checkAccess(config.SCHEMA_REGISTRY_TIMEOUT_MS),
  { maxDelayMs: 10_000, onRetry: () => {} },
).catch((error: unknown) => {
  log.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
  process.exit(2);
});
if (
  await untilConnected("Kafka", () => kafka.connect(10_000), {
    maxDelayMs: 10_000,
    onRetry: (error) =>
      log.warn({ err: error }, "Kafka not reachable; requests answer 503 until it is"),
  })
)
  log.info({ brokers: config.KAFKA_BROKERS }, "connected to Kafka");
