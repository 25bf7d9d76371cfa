import { bootService } from "@repo/platform/startup";
import { createIngestApp } from "./app.ts";
import { loadIngestConfig } from "./config.ts";
import { createIngestPipeline } from "./pipeline.ts";
import { createProviders } from "./providers/registry.ts";
import { createSchedule } from "./schedule/scheduler.ts";

const { config, log, stats, stopping, serve } = bootService("ingest", loadIngestConfig);
const { buffer, forwarder, ingest } = createIngestPipeline(config, log, stats);
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
    run: () => ingest.poll(provider, stopping),
  });
  return [{ provider, schedule }];
});
const streams = configured.flatMap((entry) => (entry.kind === "stream" ? [entry.provider] : []));

const app = createIngestApp({
  log,
  ingest,
  polled: scheduled.map(({ provider, schedule }) => ({ provider, schedule: schedule.view })),
  streams,
  producerUrl: config.PRODUCER_URL,
  forwarding: forwarder.problem,
  maxBodyBytes: config.MAX_BODY_BYTES,
  allowedOrigins: config.ALLOWED_ORIGINS,
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

// The forwarder may use the whole grace to deliver what is buffered; a second more for the rest.
serve(
  app,
  async () => {
    for (const { schedule, provider } of scheduled) {
      schedule.stop();
      provider.close?.();
    }
    await Promise.all(streams.map((stream) => stream.stop()));
    await forwarder.stop(config.SHUTDOWN_GRACE_MS);
    ingest.drop(buffer.size, "shutdown");
    log.info(ingest.snapshot([]).records, "final counts");
  },
  { extraGraceMs: 1_000 },
);
