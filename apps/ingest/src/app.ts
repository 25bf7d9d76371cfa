import { type AppBaseOptions, appBase, createServiceApp } from "@repo/platform/http";
import { controlGauges, streamGauges } from "./http/gauges.ts";
import { addIngestRoutes, type IngestRoutesOptions } from "./http/routes.ts";
import type { Ingest } from "./ingest.ts";
import type { StreamProvider } from "./providers/provider.ts";
import { INGEST_COUNTERS, type PolledProviderView } from "./stats.ts";

export interface IngestAppOptions extends AppBaseOptions {
  ingest: Ingest;
  polled: readonly PolledProviderView[];
  streams: readonly StreamProvider[];
  /** Runs, provider actions and backfills (`http/routes.ts`); absent: the shared routes only. */
  control?: Omit<IngestRoutesOptions, "log" | "streams">;
}

/**
 * Ingest's HTTP edge: the routes every service has (`/healthz`, `/readyz` with the producer, the
 * forwarder and each stream, `/stats`, `/metrics` with the streams' gauges and whether the market
 * is open), and with `control` its own API: runs, providers, calendar, streams, backfills and the
 * operator actions (see `http/routes.ts`).
 *
 * @example
 *   const health = createReadiness({ producerUrl, forwarding: forwarder.problem, streams });
 *   const app = createIngestApp({ log, ingest, polled, streams, readiness: health.round });
 *   await app.request("/stats"); // {"service":"ingest","records":{…},"providers":{…},…}
 */
export function createIngestApp(options: IngestAppOptions) {
  const { streams, control } = options;
  const app = createServiceApp({
    ...appBase(options),
    service: "ingest",
    counters: INGEST_COUNTERS,
    stats: () => ({
      ...options.ingest.snapshot(options.polled, streams),
      ...(control && {
        runs: control.ledger.view(),
        backfills: control.backfills.view(),
      }),
    }),
    gauges: () => [
      ...streamGauges(streams),
      ...controlGauges({ providers: control?.providers.list() ?? [] }),
    ],
  });
  if (control) addIngestRoutes(app, { ...control, log: options.log, streams });
  return app;
}
