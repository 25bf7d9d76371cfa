import { httpLimits } from "@repo/platform/http";
import { bootService } from "@repo/platform/startup";
import { createIngestApp } from "./app.ts";
import { loadIngestConfig } from "./config.ts";
import { createBackfillManager } from "./control/backfills.ts";
import { createProviderControl } from "./control/providers.ts";
import { createIngestPipeline } from "./pipeline.ts";
import { alpacaHistoryFor, createProviders } from "./providers/registry.ts";
import { createReadiness } from "./readiness.ts";
import { createRunLedger } from "./runs/ledger.ts";
import { createSchedule } from "./schedule/scheduler.ts";
import { cassandraStorage } from "./storage/cassandra.ts";
import { memoryStorage } from "./storage/storage.ts";

const { config, log, stats, stopping, serve, untilConnected } = bootService(
  "ingest",
  loadIngestConfig,
);
const storage =
  config.INGEST_STATE_STORE === "cassandra"
    ? cassandraStorage(config, config.CASSANDRA_KEYSPACE)
    : memoryStorage();
const ledger = createRunLedger({
  store: storage.runs,
  log,
  checkpointMs: config.INGEST_RUNS_CHECKPOINT_MS,
});
const { buffer, forwarder, ingest } = createIngestPipeline(config, log, stats, { ledger });
const configured = createProviders(config, log);
const polled = configured.flatMap((entry) => {
  if (entry.kind !== "poll") return [];
  const { provider, cron, regularHoursOnly } = entry;
  const schedule = createSchedule({
    name: provider.name,
    cron,
    timezone: config.INGEST_TIMEZONE,
    regularHoursOnly,
    log,
    run: (trigger) => ingest.poll(provider, stopping, trigger),
  });
  return [{ provider, schedule }];
});
const streams = configured.flatMap((entry) => (entry.kind === "stream" ? [entry.provider] : []));
const providers = createProviderControl({ polled, streams, store: storage.providers, log });
const hasAlpacaKeys = Boolean(config.ALPACA_API_KEY_ID && config.ALPACA_API_SECRET_KEY);
const backfills = createBackfillManager({
  historyFor: (kinds) => (hasAlpacaKeys ? alpacaHistoryFor(config, log, kinds) : undefined),
  sink: ingest.sinkFor("alpaca", "manual"),
  buffer,
  stats,
  store: storage.backfills,
  ratePerMinute: config.ALPACA_RATE_PER_MINUTE,
  forwarding: forwarder.problem,
  log,
});

const app = createIngestApp({
  log,
  ingest,
  polled: polled.map(({ provider, schedule }) => ({ provider, schedule: schedule.view })),
  streams,
  readiness: createReadiness({
    producerUrl: config.PRODUCER_URL,
    forwarding: forwarder.problem,
    streams,
  }).round,
  ...httpLimits(config),
  control: { ledger, providers, backfills, operatorTokens: config.operatorTokens },
});

/**
 * Pauses stored before a restart apply before the schedules start, and backfills left running
 * resume; a store that does not answer within a few seconds does not hold up ingest (the pauses are
 * applied when it answers).
 */
const restored = (async () => {
  if (!(await untilConnected(`${storage.kind} state store`, () => storage.connect()))) return;
  try {
    await providers.restore();
    await backfills.resume();
  } catch (error) {
    log.error(
      { err: (error as Error).message },
      "cannot read ingest's stored state (are the cql migrations applied? `bun run cql:migrate`); pauses and backfills from before the restart are not restored",
    );
  }
})();
await Promise.race([restored, new Promise((resolve) => setTimeout(resolve, 5_000))]);

forwarder.start();
for (const { schedule } of polled) schedule.start();
for (const stream of streams) stream.start(ingest.sinkFor(stream.name));
log.info(
  {
    providers: [
      ...polled.map(({ provider, schedule }) => ({
        name: provider.name,
        mode: "poll",
        ...schedule.view(),
      })),
      ...streams.map((stream) => ({ name: stream.name, mode: "stream" })),
    ],
    producer: config.PRODUCER_URL,
    stateStore: storage.kind,
    operatorTokens: config.operatorTokens.map((token) => token.name),
  },
  "ingest started",
);

// The forwarder may use the whole grace to deliver what is buffered; a second more for the rest.
serve(
  app,
  async () => {
    for (const { schedule, provider } of polled) {
      schedule.stop();
      provider.close?.();
    }
    await backfills.stop();
    await Promise.all(streams.map((stream) => stream.stop()));
    await forwarder.stop(config.SHUTDOWN_GRACE_MS);
    ingest.drop(buffer.size, "shutdown");
    ledger.dropPending();
    // Within the second of grace left: a run store that is down must not hold the exit.
    await ledger.flush(800);
    ledger.close();
    await storage.close().catch(() => {});
    log.info(ingest.snapshot([]).records, "final counts");
  },
  { extraGraceMs: 1_000 },
);
