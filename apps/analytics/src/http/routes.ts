import { OpenAPIHono } from "@hono/zod-openapi";
import { invalidParameters } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import type { BearerToken } from "@repo/platform/tokens";
import type { AlertHub } from "../alerts/hub.ts";
import type { Rule } from "../alerts/rules.ts";
import type { AnalyticsStore } from "../cassandra/store.ts";
import { mountAlertRoutes } from "./alert-routes.ts";
import { mountAlertStream } from "./alert-stream.ts";
import { mountIndicatorRoutes } from "./indicator-routes.ts";
import { createRouteKit } from "./route-kit.ts";
import { mountRuleRoutes } from "./rule-routes.ts";

export { DEFAULT_DAILY_SPAN_DAYS, MAX_DAILY_SPAN_DAYS } from "./indicator-routes.ts";
export { MAX_SPAN_DAYS } from "./route-kit.ts";

export interface RouteDeps {
  log: Logger;
  store: Pick<AnalyticsStore, "indicators" | "putRule" | "deleteRule" | "firings">;
  /** Names of the indicators this service computes (ANALYTICS_INDICATORS). */
  indicatorNames: readonly string[];
  operatorTokens: readonly BearerToken[];
  rules: { list(): Rule[]; put(rule: Rule): void; remove(id: string): boolean };
  hub: AlertHub;
  streamRetryMs?: number;
  now?: () => number;
}

/**
 * The analytics `/v1` routes and `/openapi.json`, validated by the zod schemas they are documented
 * with (a bad parameter or body is a 400 naming each field). One file per resource: indicators,
 * rules, alerts, the alert stream.
 *
 * @example
 *   app.route("/", createAnalyticsRoutes({ log, store, indicatorNames, operatorTokens, rules, hub }));
 */
export function createAnalyticsRoutes(deps: RouteDeps) {
  const kit = createRouteKit(deps);
  const api = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) throw invalidParameters(result.error, result.target);
    },
  });
  mountIndicatorRoutes(api, kit, deps);
  mountRuleRoutes(api, kit, deps);
  mountAlertRoutes(api, kit, deps);
  mountAlertStream(api, deps);
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "marketpipe analytics",
      version: "1.0.0",
      description:
        "Indicators computed exactly from the 1-minute bars, alert rules and alerts. Times are ISO-8601 UTC; " +
        'decimals are strings; errors are `{"error":{"code","message","issues"?}}`.',
    },
  });
  return api;
}
