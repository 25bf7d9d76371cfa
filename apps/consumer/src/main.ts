import { setFlagsFromString } from "node:v8";
import { connectCassandra, createServiceClient } from "@repo/cassandra";
import { topicNames } from "@repo/contracts";
import { createManualCommitConsumer, type PartitionLag } from "@repo/kafka-node";
import { httpLimits } from "@repo/platform/http";
import { kafkaSecurity, registryAccess } from "@repo/platform/security";
import { bootService } from "@repo/platform/startup";
import { createSchemaRegistryClient, registryTimeouts } from "@repo/registry";
import { createConsumerApp } from "./app.ts";
import { createLateness } from "./bars/lateness.ts";
import { createTickStore } from "./cassandra/store.ts";
import { loadConsumerConfig } from "./config.ts";
import { createDeadLetterPublisher } from "./kafka/dead-letters.ts";
import { createRecordPublisher } from "./kafka/publisher.ts";
import { createConsumerRegistry } from "./kafka/registry.ts";
import { createReadiness } from "./readiness.ts";
import { createRunner } from "./runner/index.ts";
import { createTickDecoder } from "./tick/decode.ts";

const { config, log, stats, stopping, serve, untilConnected } = bootService(
  "consumer",
  loadConsumerConfig,
);
// Read by V8 each time it sizes the heap after a full collection, so setting it now takes effect.
if (config.CONSUMER_HEAP_GROWTH_PERCENT > 0) {
  setFlagsFromString(`--heap-growing-percent=${config.CONSUMER_HEAP_GROWTH_PERCENT}`);
}
const topics = topicNames(config.TOPIC_PREFIX);
const { client, consistency } = createServiceClient(config, "consumer");
const store = createTickStore({
  client,
  consistency,
  maxConcurrency: config.CASSANDRA_MAX_CONCURRENCY,
  batchMaxRows: config.CASSANDRA_BATCH_MAX_ROWS,
});
const registryClient = createSchemaRegistryClient({
  ...registryAccess(config),
  ...registryTimeouts(config),
  onStale: (subject, error) =>
    log.warn({ subject, err: error }, "registry unreachable; publishing bars with the cached id"),
});
const registry = createConsumerRegistry(registryClient, topics.subjects.bars, {
  retryBudgetMs: config.SCHEMA_ID_RETRY_BUDGET_MS,
});
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
    "fetch.max.bytes": config.CONSUMER_FETCH_MAX_KBYTES * 1024,
  },
  onRebalance: (event, partitions) => {
    log.info({ event, partitions: partitions.map((p) => p.partition) }, "rebalance");
    if (event === "revoke" && partitions.length > 0) runner.revoked(partitions);
  },
  onError: (error) =>
    log.warn({ code: error.code, message: error.message }, "kafka consumer error"),
});
const runner = createRunner({
  consumer,
  decode: createTickDecoder(registry.writerSchemas, { maxFutureSkewMs: config.MAX_CLOCK_SKEW_MS }),
  store,
  publishDeadLetters: createDeadLetterPublisher({
    publisher,
    topic: topics.deadLetter,
    stats,
    log,
  }),
  publishBars: async (bars) => {
    const { records, refused } = await registry.encodeBars(bars);
    await publisher.publish(topics.bars, records);
    return refused;
  },
  lateness: createLateness(config.BAR_LATE_ALLOWANCE_MS),
  finalMinuteGraceMs: config.BAR_FINAL_GRACE_MS,
  stats,
  log,
  maxBatch: config.CONSUMER_MAX_BATCH,
  maxInFlightBatches: config.CONSUMER_MAX_IN_FLIGHT_BATCHES,
  maxConcurrency: config.CASSANDRA_MAX_CONCURRENCY,
  retryMaxDelayMs: config.RETRY_MAX_DELAY_MS,
});

let lag: PartitionLag[] = [];
let lagReadAt: number | null = null;
const health = createReadiness({
  consumer,
  store,
  registry,
  failingStep: () => runner.failingStep(),
  refresh: async () => {
    const askedAt = Date.now();
    const fresh = await consumer.lag().catch(() => undefined);
    if (!fresh) return;
    lag = fresh;
    lagReadAt = askedAt;
    runner.reconcile(fresh);
  },
});

const app = createConsumerApp({
  log,
  ...httpLimits(config),
  readiness: health.readiness,
  view: {
    stats,
    lag: () => lag,
    lagReadAt: () => lagReadAt,
    cassandraConnected: () => health.healthy("cassandra"),
  },
});

serve(app, async () => {
  await health.stop();
  await runner.stop();
  await consumer.stop();
  await publisher.disconnect();
  await client.shutdown();
});

// Refused registry credentials, an untrusted registry certificate or a SCHEMA_REGISTRY_URL that
// leads to something other than a registry stop the service at start-up (exit 2, naming the
// setting). A registry that is merely down is retried (and shown in /readyz) alongside the other
// connections; consuming starts once it answered.
const registryChecked = untilConnected(
  "schema registry",
  () => registryClient.checkAccess(config.SCHEMA_REGISTRY_TIMEOUT_MS),
  { onRetry: () => {} },
).catch((error: unknown) => {
  log.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
  process.exit(2);
});
await untilConnected("Cassandra", () => connectCassandra(client, config));
await untilConnected("Kafka producer (bars, dead letters)", () => publisher.connect());
await registryChecked;
await untilConnected("Kafka consumer group", () => consumer.start([topics.ticks]));
if (!stopping.aborted) {
  log.info(
    { topic: topics.ticks, group: config.CONSUMER_GROUP, keyspace: config.CASSANDRA_KEYSPACE },
    "consuming",
  );
  runner.start();
  health.start();
}
