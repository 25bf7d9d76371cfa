import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { AnalyticsAlertsResponse } from "@repo/contracts/analytics-responses";
import { timeParam } from "@repo/contracts/http-params";
import { alertJson } from "../alerts/webhooks.ts";
import type { AnalyticsStore } from "../cassandra/store.ts";
import { errors, MAX_SPAN_DAYS, type RouteKit } from "./route-kit.ts";

const alertsRoute = createRoute({
  method: "get",
  path: "/v1/alerts",
  summary: "Stored alert firings whose bar started in [from, to), oldest first",
  description: `Default range: the last 24 h; at most ${MAX_SPAN_DAYS} days.`,
  request: {
    query: z.object({
      from: timeParam("from", "Inclusive start (bar start)"),
      to: timeParam("to", "Exclusive end (bar start)"),
    }),
  },
  responses: {
    200: {
      description: "Alerts",
      content: { "application/json": { schema: AnalyticsAlertsResponse } },
    },
    ...errors,
  },
});

/**
 * `GET /v1/alerts`: the stored firings of a time range (by bar start).
 *
 * @example
 *   mountAlertRoutes(api, kit, { store });
 */
export function mountAlertRoutes(
  api: OpenAPIHono,
  kit: RouteKit,
  deps: { store: Pick<AnalyticsStore, "firings"> },
) {
  api.openapi(alertsRoute, async (c) => {
    const { from, to } = c.req.valid("query");
    const { start, end } = kit.range(from, to);
    const firings = await kit.read("alerts", () => deps.store.firings(start, end));
    return c.json({ alerts: firings.map(alertJson) }, 200);
  });
}
