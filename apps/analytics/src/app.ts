import { type AppBaseOptions, appBase, createServiceApp } from "@repo/platform/http";
import { createAnalyticsRoutes, type RouteDeps } from "./http/routes.ts";
import { type AnalyticsView, analyticsStats } from "./stats.ts";

export interface AnalyticsAppOptions extends AppBaseOptions {
  view: AnalyticsView;
  routes: Omit<RouteDeps, "log">;
}

/**
 * The analytics HTTP edge: `/v1/indicators/*`, `/v1/alerts*`, `/openapi.json`, and `/healthz`,
 * `/readyz`, `/stats`, `/metrics` (with the lag of each partition).
 *
 * @example
 *   const app = createAnalyticsApp({ log, view, readiness, routes });
 *   await app.request("/v1/indicators/AAPL?names=sma20");
 */
export function createAnalyticsApp(options: AnalyticsAppOptions) {
  const app = createServiceApp({
    ...appBase(options),
    service: "analytics",
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024,
    stats: () => analyticsStats(options.view),
    gauges: () =>
      options.view.lag().map((p) => ({
        name: "partitionLag",
        help: "Bar records between the committed offset and the high watermark, per assigned partition.",
        labels: { topic: p.topic, partition: String(p.partition) },
        value: p.lag,
      })),
  });
  app.route("/", createAnalyticsRoutes({ ...options.routes, log: options.log }));
  return app;
}
