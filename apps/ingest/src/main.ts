import { createServiceApp, startServer } from "@repo/platform/http";
import { createLogger } from "@repo/platform/log";
import { configOrExit } from "@repo/platform/startup";
import { createStats } from "@repo/platform/stats";
import { loadIngestConfig } from "./config.ts";
import { createTickBuffer } from "./forward/buffer.ts";
import { createForwarder } from "./forward/forwarder.ts";
import { streamGauges } from "./http/gauges.ts";
import { ingestReadiness } from "./http/readiness.ts";
import { createIngest } from "./ingest.ts";
import { createProviders } from "./providers/registry.ts";
import { createQualityGates } from "./quality/gates.ts";
import { createSchedule } from "./schedule/scheduler.ts";

const config = configOrExit(loadIngestConfig);
const log = createLogger("ingest", config.LOG_LEVEL);
const stats = createStats();
const buffer = createTickBuffer(config.INGEST_BUFFER_CAPACITY, config.INGEST_FORWARD_LANES);
const forwarder = createForwarder({
  producerUrl: config.PRODUCER_URL,
  token: config.PRODUCER_TOKEN,
  buffer,
  log,
  batchSize: config.INGEST_BATCH_SIZE,
  lingerMs: config.INGEST_LINGER_MS,
  requestTimeoutMs: config.INGEST_FORWARD_TIMEOUT_MS,
  onForwarded: (count) => stats.counter("records.forwarded").add(count),
  onRejected: (count, reason) => stats.counter(`records.rejected.${reason}`).add(count),
});
const gates = createQualityGates({
  maxFutureMs: config.INGEST_MAX_FUTURE_MS,
  maxStalenessMs: config.INGEST_MAX_STALENESS_MS,
  maxPriceJump: config.INGEST_MAX_PRICE_JUMP,
  reanchorTicks: config.INGEST_PRICE_JUMP_REANCHOR_TICKS,
  reanchorAfterMs: config.INGEST_PRICE_JUMP_REANCHOR_MS,
  dedupeWindow: config.INGEST_DEDUPE_WINDOW,
});
const ingest = createIngest({ stats, log, gates, buffer, onBuffered: forwarder.notify });
const polling = new AbortController();
const configured = createProviders(config, log);
const scheduled = configured.flatMap((entry) => {
  if (entry.kind !== "poll") return [];
  const { provider, cron, regularHoursOnly } = entry;
  const schedule = createSchedule({
    name: provider.name,
    cron,
    timezone: config.INGEST_TIMEZONE,
    regularHoursOnly,
    log,
    run: () => ingest.poll(provider, polling.signal),
  });
  return [{ provider, schedule }];
});
const streams = configured.flatMap((entry) => (entry.kind === "stream" ? [entry.provider] : []));

const app = createServiceApp({
  service: "ingest",
  log,
  maxBodyBytes: config.MAX_BODY_BYTES,
  allowedOrigins: config.ALLOWED_ORIGINS,
  stats: () =>
    ingest.snapshot(
      scheduled.map(({ provider, schedule }) => ({ provider, schedule: schedule.view })),
      streams,
    ),
  readiness: () => ingestReadiness(config.PRODUCER_URL, forwarder.problem, streams),
  gauges: () => streamGauges(streams),
});

forwarder.start();
for (const { schedule } of scheduled) schedule.start();
for (const stream of streams) stream.start(ingest.sinkFor(stream.name));
log.info(
  {
    providers: [
      ...scheduled.map(({ provider, schedule }) => ({
        name: provider.name,
        mode: "poll",
        ...schedule.view(),
      })),
      ...streams.map((stream) => ({ name: stream.name, mode: "stream" })),
    ],
    producer: config.PRODUCER_URL,
  },
  "ingest started",
);

startServer({
  app,
  host: config.HOST,
  port: config.PORT,
  log,
  graceMs: config.SHUTDOWN_GRACE_MS + 1_000,
  shutdown: async () => {
    for (const { schedule, provider } of scheduled) {
      schedule.stop();
      provider.close?.();
    }
    polling.abort();
    await Promise.all(streams.map((stream) => stream.stop()));
    await forwarder.stop(config.SHUTDOWN_GRACE_MS);
    ingest.drop(buffer.size, "shutdown");
    log.info(ingest.snapshot([]).records, "final counts");
  },
});
