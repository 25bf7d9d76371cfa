import { connectCassandra, createServiceClient } from "@repo/cassandra";
import { topicNames } from "@repo/contracts";
import {
  createKafkaProducer,
  createManualCommitConsumer,
  type PartitionLag,
} from "@repo/kafka-node";
import { httpLimits } from "@repo/platform/http";
import { kafkaSecurity, registryAccess } from "@repo/platform/security";
import { bootService } from "@repo/platform/startup";
import { createSchemaRegistryClient, registryTimeouts } from "@repo/registry";
import { createAlertHub } from "./alerts/hub.ts";
import { createRuleRegistry } from "./alerts/registry.ts";
import { createWebhookSender } from "./alerts/webhooks.ts";
import { createAnalyticsApp } from "./app.ts";
import { createOutboxStore } from "./cassandra/outbox.ts";
import { createAnalyticsStore } from "./cassandra/store.ts";
import { loadAnalyticsConfig } from "./config.ts";
import { createBarDecoder } from "./kafka/bars.ts";
import { createIndicatorPublisher } from "./kafka/indicators.ts";
import { createReadiness } from "./readiness.ts";
import { createRunner } from "./runner.ts";
import { createSessionBook } from "./series/book.ts";
import { historySessions } from "./series/daily.ts";

const { config, log, stats, stopping, serve, untilConnected } = bootService(
  "analytics",
  loadAnalyticsConfig,
);
const topics = topicNames(config.TOPIC_PREFIX);
const { client, consistency } = createServiceClient(config, "analytics");
const store = createAnalyticsStore({
  client,
  consistency,
  maxConcurrency: config.CASSANDRA_MAX_CONCURRENCY,
});
const outbox = createOutboxStore({
  client,
  consistency,
  ttlSeconds: Math.ceil(config.ANALYTICS_WEBHOOK_MAX_AGE_MS / 1000) + 3600,
});
const registry = createSchemaRegistryClient({
  ...registryAccess(config),
  ...registryTimeouts(config),
});
const producer = createKafkaProducer({
  brokers: config.KAFKA_BROKERS,
  security: kafkaSecurity(config),
  clientId: "analytics",
  deliveryTimeoutMs: 30_000,
  maxInFlight: 200_000,
});
const book = createSessionBook(config.indicators, {
  closeAfterUs: config.ANALYTICS_CLOSE_AFTER_MS * 1000,
  maxSessions: config.ANALYTICS_MAX_SESSIONS,
});
const hub = createAlertHub({
  maxQueue: config.ANALYTICS_STREAM_QUEUE_MAX,
  maxClients: config.ANALYTICS_STREAM_MAX_CLIENTS,
});
const webhooks = createWebhookSender({
  maxQueue: config.ANALYTICS_WEBHOOK_QUEUE_MAX,
  timeoutMs: config.ANALYTICS_WEBHOOK_TIMEOUT_MS,
  maxAgeMs: config.ANALYTICS_WEBHOOK_MAX_AGE_MS,
  maxDelayMs: config.ANALYTICS_WEBHOOK_MAX_DELAY_MS,
  stats,
  log,
  settled: (delivery) =>
    void outbox
      .remove(delivery)
      .catch((error) =>
        log.warn(
          { err: error, delivery: delivery.id },
          "webhook outbox row not deleted; it is sent again (same delivery id) after a restart",
        ),
      ),
});
const rules = createRuleRegistry(store, log, (id) => runner.forgetRule(id));
const consumer = createManualCommitConsumer({
  brokers: config.KAFKA_BROKERS,
  groupId: config.ANALYTICS_GROUP,
  clientId: "analytics",
  security: kafkaSecurity(config),
  onRebalance: (event, partitions) => {
    log.info({ event, partitions: partitions.map((p) => p.partition) }, "rebalance");
    if (event === "revoke" && partitions.length > 0) runner.revoked();
  },
  onError: (error) =>
    log.warn({ code: error.code, message: error.message }, "kafka consumer error"),
});
const runner = createRunner({
  consumer,
  decode: createBarDecoder((id) => registry.typeOf(id)),
  book,
  store,
  publishIndicators: createIndicatorPublisher({
    producer,
    registry,
    topic: topics.indicators,
    subject: topics.subjects.indicators,
  }),
  historySessions: historySessions(config.indicators),
  rulesOf: (symbol) => rules.of(symbol),
  outbox,
  delivered: (firing, _rule, delivery) => {
    hub.publish(firing);
    if (delivery) webhooks.send(delivery);
  },
  stats,
  log,
  maxBatch: config.ANALYTICS_MAX_BATCH,
  retryMaxDelayMs: config.RETRY_MAX_DELAY_MS,
});

let lag: PartitionLag[] = [];
let lastRulesRead = 0;
const health = createReadiness({
  consumer,
  store,
  registry,
  failingStep: () => runner.failingStep(),
  refresh: async () => {
    lag = (await consumer.lag().catch(() => undefined)) ?? lag;
    if (Date.now() - lastRulesRead >= config.ANALYTICS_RULES_REFRESH_MS) {
      lastRulesRead = Date.now();
      await rules
        .refresh()
        .catch((error) => log.warn({ err: error }, "alert rules could not be re-read"));
    }
  },
  intervalMs: Math.min(1000, config.ANALYTICS_RULES_REFRESH_MS),
});

const app = createAnalyticsApp({
  log,
  ...httpLimits(config, 64 * 1024),
  readiness: health.readiness,
  view: {
    stats,
    lag: () => lag,
    sessions: () => book.size,
    rules: () => rules.size,
    streamClients: () => hub.size,
    webhooksWaiting: () => webhooks.waiting,
  },
  routes: {
    store,
    indicatorNames: config.indicators.map((spec) => spec.name),
    operatorTokens: config.operatorTokens,
    rules: {
      list: () => rules.list(),
      put: (rule) => rules.put(rule),
      remove: (id) => rules.remove(id),
    },
    hub,
  },
});

// Open alert streams would hold the graceful shutdown's wait for accepted requests: end them first.
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => hub.closeAll());
serve(app, async () => {
  await health.stop();
  await runner.stop();
  await consumer.stop();
  webhooks.stop();
  await producer.flush(5_000).catch(() => {});
  await producer.disconnect();
  await client.shutdown();
});

const registryChecked = untilConnected(
  "schema registry",
  () => registry.checkAccess(config.SCHEMA_REGISTRY_TIMEOUT_MS),
  {
    onRetry: () => {},
  },
).catch((error: unknown) => {
  log.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
  process.exit(2);
});
await untilConnected("Cassandra", () => connectCassandra(client, config));
await untilConnected("alert rules", () => rules.refresh());
await untilConnected("webhook outbox", async () => {
  const nowUs = Date.now() * 1000;
  const waiting = await outbox.pending(
    nowUs - (config.ANALYTICS_WEBHOOK_MAX_AGE_MS + 3_600_000) * 1000,
    nowUs,
  );
  webhooks.restore(waiting);
  if (waiting.length > 0) log.info({ deliveries: waiting.length }, "webhook deliveries restored");
});
await untilConnected("Kafka producer (indicators)", () => producer.connect(10_000));
await registryChecked;
await untilConnected("Kafka consumer group", () => consumer.start([topics.bars]));
if (!stopping.aborted) {
  log.info(
    { topic: topics.bars, group: config.ANALYTICS_GROUP, keyspace: config.CASSANDRA_KEYSPACE },
    "consuming",
  );
  lastRulesRead = Date.now();
  runner.start();
  health.start();
}
