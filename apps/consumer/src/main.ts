import { connectCassandra, consistencyNamed, createCassandraClient } from "@repo/cassandra";
import { topicNames } from "@repo/contracts";
import { createManualCommitConsumer, type PartitionLag } from "@repo/kafka-node";
import { isRetriable } from "@repo/platform/errors";
import { startServer } from "@repo/platform/http";
import { createLogger } from "@repo/platform/log";
import { withRetry } from "@repo/platform/retry";
import { kafkaSecurity, registryAccess } from "@repo/platform/security";
import { configOrExit, exitIfRefused } from "@repo/platform/startup";
import { createStats } from "@repo/platform/stats";
import { createSchemaRegistryClient } from "@repo/registry";
import { createLateness } from "./bars/lateness.ts";
import { createTickStore } from "./cassandra/store.ts";
import { loadConsumerConfig } from "./config.ts";
import { createConsumerApp } from "./http/app.ts";
import { createRecordPublisher } from "./kafka/publisher.ts";
import { createConsumerRegistry, deadLetterRecord } from "./kafka/registry.ts";
import { createHealthWatch } from "./readiness.ts";
import { createRunner } from "./runner.ts";
import { createTickDecoder } from "./tick/decode.ts";

const config = configOrExit(loadConsumerConfig);
const log = createLogger("consumer", config.LOG_LEVEL);
const stats = createStats();
const topics = topicNames(config.TOPIC_PREFIX);
const consistency = consistencyNamed(config.CASSANDRA_CONSISTENCY);

const client = createCassandraClient(config, {
  keyspace: config.CASSANDRA_KEYSPACE,
  consistency,
  applicationName: "consumer",
});
const store = createTickStore({
  client,
  consistency,
  maxConcurrency: config.CASSANDRA_MAX_CONCURRENCY,
  batchMaxRows: config.CASSANDRA_BATCH_MAX_ROWS,
});
const registryClient = createSchemaRegistryClient({
  ...registryAccess(config),
  onStale: (subject, error) =>
    log.warn({ subject, err: error }, "registry unreachable; publishing bars with the cached id"),
});
const registry = createConsumerRegistry(registryClient, topics.subjects.bars);
const publisher = createRecordPublisher({
  brokers: config.KAFKA_BROKERS,
  security: kafkaSecurity(config),
  clientId: "consumer",
});
const consumer = createManualCommitConsumer({
  brokers: config.KAFKA_BROKERS,
  groupId: config.CONSUMER_GROUP,
  clientId: "consumer",
  security: kafkaSecurity(config),
  pollTimeoutMs: config.CONSUMER_POLL_TIMEOUT_MS,
  config: {
    "session.timeout.ms": config.CONSUMER_SESSION_TIMEOUT_MS,
    "max.poll.interval.ms": config.CONSUMER_MAX_POLL_INTERVAL_MS,
    "queued.max.messages.kbytes": config.CONSUMER_PREFETCH_KBYTES,
  },
  onRebalance: (event, partitions) => {
    log.info({ event, partitions: partitions.map((p) => p.partition) }, "rebalance");
    if (event === "revoke") runner.revoked(partitions);
  },
  onError: (error) =>
    log.warn({ code: error.code, message: error.message }, "kafka consumer error"),
});
const runner = createRunner({
  consumer,
  decode: createTickDecoder(registry.writerSchemas, { maxFutureSkewMs: config.MAX_CLOCK_SKEW_MS }),
  store,
  publishDeadLetters: (letters) =>
    publisher.publish(topics.deadLetter, letters.map(deadLetterRecord)),
  publishBars: async (bars) => {
    const { records, refused } = await registry.encodeBars(bars);
    await publisher.publish(topics.bars, records);
    return refused;
  },
  lateness: createLateness(config.BAR_LATE_ALLOWANCE_MS),
  stats,
  log,
  maxBatch: config.CONSUMER_MAX_BATCH,
  maxInFlightBatches: config.CONSUMER_MAX_IN_FLIGHT_BATCHES,
  maxConcurrency: config.CASSANDRA_MAX_CONCURRENCY,
  retryMaxDelayMs: config.RETRY_MAX_DELAY_MS,
});

let lag: PartitionLag[] = [];
let stopped = false;
const stopConnecting = new AbortController();
const health = createHealthWatch({
  probes: {
    kafka: () => consumer.ping(2000),
    cassandra: () => store.ping(),
    registry: () => registry.ping(),
  },
  failingStep: () => runner.failingStep(),
  refresh: async () => {
    lag = await consumer.lag().catch(() => lag);
  },
});

const app = createConsumerApp(
  log,
  {
    stats,
    lag: () => lag,
    cassandraConnected: () => health.healthy("cassandra"),
    readiness: () => health.readiness(),
  },
  config.ALLOWED_ORIGINS,
);

startServer({
  app,
  host: config.HOST,
  port: config.PORT,
  log,
  graceMs: config.SHUTDOWN_GRACE_MS,
  async shutdown() {
    stopped = true;
    stopConnecting.abort();
    await health.stop();
    await runner.stop();
    await consumer.stop();
    await publisher.disconnect();
    await client.shutdown();
  },
});

// Refused registry credentials or an untrusted registry certificate stop the service at start-up;
// a registry that is merely down is retried (and shown in /readyz) without holding the rest back.
void withRetry(() => registryClient.checkAccess(5_000), {
  retries: Number.POSITIVE_INFINITY,
  minDelayMs: 500,
  maxDelayMs: 5_000,
  signal: stopConnecting.signal,
  shouldRetry: isRetriable,
}).catch((error: unknown) => exitIfRefused(log, error));
await untilConnected("Cassandra", () => connectCassandra(client, config));
await untilConnected("Kafka producer (bars, dead letters)", () => publisher.connect());
await untilConnected("Kafka consumer group", () => consumer.start([topics.ticks]));
if (!stopped) {
  log.info(
    { topic: topics.ticks, group: config.CONSUMER_GROUP, keyspace: config.CASSANDRA_KEYSPACE },
    "consuming",
  );
  runner.start();
  health.start();
}

/** Retries a connection with jittered, capped backoff until it succeeds or the service stops. */
async function untilConnected(what: string, connect: () => Promise<void>) {
  if (stopped) return;
  await withRetry(connect, {
    retries: Number.POSITIVE_INFINITY,
    minDelayMs: 500,
    maxDelayMs: 5_000,
    signal: stopConnecting.signal,
    shouldRetry: isRetriable,
    onRetry: (error, attempt) =>
      log.warn({ err: error, attempt }, `${what} not reachable yet; retrying`),
  }).catch((error: unknown) => {
    exitIfRefused(log, error);
    if (!stopped) throw error;
  });
}
