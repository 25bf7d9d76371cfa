import type { OpenAPIHono } from "@hono/zod-openapi";
import { ApiError, limitBody } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import { type BearerToken, bearerTokenOf } from "@repo/platform/tokens";
import type { Context } from "hono";
import type { AlertFeed, AlertFeedEvent } from "../analytics/alert-feed.ts";
import { relayAnswer, type Upstream, type UpstreamAnswer } from "../ops/upstream.ts";
import type { StreamAdmission } from "../stream/admission.ts";
import { analyticsRoutes as routes } from "./analytics-openapi.ts";
import { authorize, isLoopback } from "./console-routes.ts";
import { remoteAddress, type StreamLimits, sseMessage, streamEvents } from "./sse.ts";

export interface AnalyticsDeps {
  log: Logger;
  /** Analytics' HTTP API (ANALYTICS_URL, sending ANALYTICS_OPERATOR_TOKEN). */
  analytics: Upstream;
  /** The one alert stream from analytics, shared by every `/v1/alerts/stream` client. */
  alerts: AlertFeed;
  operatorTokens: readonly BearerToken[];
  /** The `/v1/stream` slots and limits (an alert stream takes one slot). */
  streams: { admission: StreamAdmission; limits: StreamLimits };
  /** Longest wait for analytics' stream before a new client is refused (default 3 s). */
  connectTimeoutMs?: number;
}

const MAX_BODY = 16 * 1024;
const STREAM_HEADERS = { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" };

/**
 * The analytics routes: indicators, stored alerts, alert rules (create and delete are operator
 * actions) and the live alert stream, through analytics' own HTTP API. Analytics down, slow or
 * answering garbage is a 503 `analytics_unavailable` that names no address.
 *
 * @example
 *   mountAnalyticsRoutes(api, { log, analytics, alerts, operatorTokens, streams });
 */
export function mountAnalyticsRoutes(api: OpenAPIHono, deps: AnalyticsDeps) {
  const relay = (c: Context, answer: UpstreamAnswer) =>
    relayAnswer(c, answer, {
      name: "analytics",
      tokenVariable: "ANALYTICS_OPERATOR_TOKEN",
      log: deps.log,
    });
  /** Whether the caller may see webhook URLs: an operator token, or loopback without tokens. */
  const operatorSees = (c: Context) =>
    deps.operatorTokens.length > 0
      ? bearerTokenOf(deps.operatorTokens, c.req.header("authorization")) !== undefined
      : isLoopback(remoteAddress(c));

  api.openapi(routes.indicators, async (c) => {
    const { symbol } = c.req.valid("param");
    const query = new URLSearchParams(
      Object.entries(c.req.valid("query")).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const path = `/v1/indicators/${encodeURIComponent(symbol.toUpperCase())}?${query}`;
    return relay(c, await deps.analytics.request("GET", path));
  });

  api.openapi(routes.alerts, async (c) => {
    const query = new URLSearchParams(
      Object.entries(c.req.valid("query")).filter((e): e is [string, string] => e[1] !== undefined),
    );
    return relay(c, await deps.analytics.request("GET", `/v1/alerts?${query}`));
  });

  api.openapi(routes.listRules, async (c) => {
    const answer = await deps.analytics.request("GET", "/v1/alerts/rules");
    if (answer.status !== 200 || operatorSees(c)) return relay(c, answer);
    const rules = (answer.body.rules as { webhook: { url: string } | null }[]).map((rule) => ({
      ...rule,
      webhook: rule.webhook ? { url: "<hidden: operator token needed>" } : null,
    }));
    return c.json({ rules } as never, 200);
  });

  api.use("/v1/alerts/rules", limitBody(MAX_BODY));
  api.openapi(routes.createRule, async (c) => {
    const who = authorize(c, deps.operatorTokens, true);
    const answer = await deps.analytics.request("POST", "/v1/alerts/rules", c.req.valid("json"));
    deps.log.info(
      { operator: who, status: answer.status, rule: answer.body.id, symbol: answer.body.symbol },
      "alert rule created",
    );
    return relay(c, answer);
  });

  api.openapi(routes.deleteRule, async (c) => {
    const who = authorize(c, deps.operatorTokens, true);
    const { id } = c.req.valid("param");
    const answer = await deps.analytics.request("DELETE", `/v1/alerts/rules/${id}`);
    deps.log.info({ operator: who, rule: id, status: answer.status }, "alert rule delete");
    if (answer.status === 200) return c.body(null, 204) as never;
    return relay(c, answer);
  });

  api.openapi(routes.status, async (c) => {
    const answer = await deps.analytics.request("GET", "/healthz").catch(() => undefined);
    return c.json({ analytics: answer?.status === 200 ? ("up" as const) : ("down" as const) }, 200);
  });

  api.openapi(routes.stream, async (c) => {
    // Hono answers HEAD with the GET handler and drops the body: never open a stream for it.
    if (c.req.method !== "GET") return c.body(null, 200, STREAM_HEADERS) as never;
    const { admission, limits } = deps.streams;
    const eventSource = c.req.header("accept")?.includes("text/event-stream") ?? false;
    const slot = admission.admit(remoteAddress(c));
    if ("refused" in slot)
      return refuse(c, eventSource, slot.refused, "too many streams are open; retry later", limits);
    // Holds the feed open from here until the client's stream ends.
    const hold = deps.alerts.subscribe({ send: () => {}, end: () => {} });
    if (!(await deps.alerts.ready(deps.connectTimeoutMs ?? 3_000))) {
      hold();
      slot.release();
      return refuse(
        c,
        eventSource,
        "analytics_unavailable",
        "analytics is unavailable; retry later",
        limits,
      );
    }
    return streamEvents<AlertFeedEvent>(c, {
      ready: { analytics: "up" },
      subscribe: (handlers) => deps.alerts.subscribe(handlers),
      key: (event) => `${event.event}|${event.id}`,
      message: (event) =>
        event.event === "alert"
          ? `id: ${event.id}\n${sseMessage("alert", event.data)}`
          : sseMessage("analytics", event.data),
      limits,
      done: () => {
        hold();
        slot.release();
      },
    }) as never;
  });
}

/**
 * A refused stream: for an EventSource a 200 stream of one event (`busy`, or `unavailable` when
 * analytics is down) whose `retry:` says when to come back (an EventSource does not retry after a
 * 4xx/5xx); for other clients a JSON 503/429 with Retry-After.
 */
function refuse(
  c: Context,
  eventSource: boolean,
  code: string,
  message: string,
  limits: StreamLimits,
) {
  const retryAfter = String(Math.ceil(limits.retryMs / 1000));
  if (eventSource) {
    const name = code === "analytics_unavailable" ? "unavailable" : "busy";
    const body = sseMessage(name, { error: { code, message } }, limits.retryMs);
    return c.body(body, 200, {
      ...STREAM_HEADERS,
      "Retry-After": retryAfter,
      Connection: "close",
    }) as never;
  }
  const status = code === "too_many_streams_from_client" ? 429 : 503;
  throw new ApiError(status, code, message, {}, { "Retry-After": retryAfter });
}
