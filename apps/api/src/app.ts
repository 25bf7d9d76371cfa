import { type AppBaseOptions, appBase, createServiceApp } from "@repo/platform/http";
import { mountDashboard } from "./http/dashboard.ts";
import { type ApiDeps, createApiRoutes } from "./http/routes.ts";
import { API_COUNTERS, apiStats, METRIC } from "./stats.ts";

export interface ApiAppOptions extends ApiDeps, AppBaseOptions {
  cassandraConnected: () => boolean;
  /** The built dashboard (`dist/public`). */
  dashboardDir: string;
}

/**
 * The api's HTTP edge: `/v1/*` and `/openapi.json`, the dashboard at `/`, and the routes every
 * service has (`/healthz`, `/readyz`, `/stats`, `/metrics`).
 *
 * @example
 *   const app = createApiApp({ log, stats, reader, stream, admission, cursors, pipeline, readiness, … });
 *   await app.request("/v1/quotes?symbols=AAPL");
 */
export function createApiApp(options: ApiAppOptions) {
  const { stats, admission } = options;
  const app = createServiceApp({
    ...appBase(options),
    service: "api",
    counters: API_COUNTERS,
    stats: () =>
      apiStats(stats, {
        streamClients: admission.open,
        cassandraConnected: options.cassandraConnected,
      }),
    gauges: () => [
      {
        name: "streamClients",
        help: "Open /v1/stream connections.",
        value: admission.open(),
      },
    ],
  });
  app.use("/v1/*", async (c, next) => {
    const started = performance.now();
    await next();
    if (c.req.path === "/v1/stream") return;
    stats.counter(METRIC.requests(`${Math.floor(c.res.status / 100)}xx`)).add();
    stats.latency(METRIC.requestLatencyMs).record(performance.now() - started);
  });
  app.route("/", createApiRoutes(options));
  mountDashboard(app, options.dashboardDir);
  return app;
}
