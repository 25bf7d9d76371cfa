import { OpenAPIHono } from "@hono/zod-openapi";
import { invalidParameters } from "@repo/platform/http";
import { type BearerToken, bearerTokenOf } from "@repo/platform/tokens";
import { publicHealth, type ServiceHealth } from "../pipeline/health.ts";
import { type AnalyticsDeps, mountAnalyticsRoutes } from "./analytics-routes.ts";
import { apiRoutes as routes } from "./api-specs.ts";
import { type ConsoleDeps, mountConsoleRoutes } from "./console-routes.ts";
import { type MarketDeps, mountMarketRoutes } from "./market-routes.ts";
import { mountOpsRoutes, type OpsDeps } from "./ops-routes.ts";
import { mountStreamRoute, type StreamDeps } from "./stream-route.ts";

export interface ApiDeps extends Omit<MarketDeps, "now">, StreamDeps {
  /** Callers presenting one of these see `/v1/pipeline` in full (URLs, whole `/stats`). */
  operatorTokens: readonly BearerToken[];
  pipeline: () => Promise<ServiceHealth[]>;
  /** The Kafka console and schema routes (`/v1/kafka/*`, `/v1/schemas*`); absent, they are not served. */
  console?: Omit<ConsoleDeps, "log" | "operatorTokens">;
  /** Runs, providers, streams, backfills (through ingest), alerts and the streaming job. */
  ops?: Omit<OpsDeps, "log" | "operatorTokens">;
  /** Indicators, alerts and alert rules (through analytics); absent, they are not served. */
  analytics?: Omit<AnalyticsDeps, "log" | "operatorTokens" | "streams">;
  /** The time in microseconds since the epoch (default: the clock). */
  now?: () => number;
}

/**
 * The `/v1` routes and `/openapi.json`, generated from the same zod schemas that validate every
 * parameter (a bad one is a 400 naming it).
 *
 * @example
 *   app.route("/", createApiRoutes({ reader, stream, maxStreamClients: 100, pipeline }));
 */
export function createApiRoutes(deps: ApiDeps) {
  const api = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) throw invalidParameters(result.error, result.target);
    },
  });
  mountMarketRoutes(api, { ...deps, now: deps.now ?? (() => Date.now() * 1000) });
  mountStreamRoute(api, deps);

  api.openapi(routes.pipeline, async (c) => {
    const services = await deps.pipeline();
    const operator = bearerTokenOf(deps.operatorTokens, c.req.header("authorization"));
    return c.json({ services: operator ? services : services.map(publicHealth) }, 200);
  });

  const shared = { log: deps.log, operatorTokens: deps.operatorTokens };
  const streams = { admission: deps.admission, limits: deps.streamLimits };
  if (deps.console) mountConsoleRoutes(api, { ...deps.console, ...shared, streams });
  if (deps.ops) mountOpsRoutes(api, { ...deps.ops, ...shared });
  if (deps.analytics) mountAnalyticsRoutes(api, { ...deps.analytics, ...shared, streams });

  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "marketpipe api",
      version: "1.0.0",
      description:
        "Market data stored by the pipeline: symbols, latest quotes, bars, ticks and a live stream; " +
        "the Kafka console (topics, consumer groups, messages, dead letters and their redrive) and schemas; " +
        "ingest's runs, schedules, streams, operator actions and backfills, firing alerts and the streaming job; " +
        "indicators, alert rules and alerts from analytics. " +
        "Times are ISO-8601 UTC with microseconds; decimals are strings; errors are " +
        '`{"error":{"code","message","issues"?}}`.',
    },
  });
  return api;
}
