import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { parseTimestamp } from "@repo/contracts";
import { ApiError } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import { type BearerToken, bearerTokenOf } from "@repo/platform/tokens";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { RuleRequest } from "../../../analytics/src/alerts/rules.ts";
import type { AlertFeed, AlertFeedEvent } from "../analytics/alert-feed.ts";
import type { Upstream, UpstreamAnswer } from "../ops/upstream.ts";
import type { StreamAdmission } from "../stream/admission.ts";
import {
  AlertRuleSchema,
  AlertRulesResponse,
  AnalyticsAlertsResponse,
  IndicatorsResponse,
} from "./analytics-responses.ts";
import { authorize, isLoopback } from "./console-routes.ts";
import { ErrorResponse } from "./responses.ts";
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

/** Intervals analytics computes (apps/analytics/src/series/rollup.ts). */
export const INDICATOR_INTERVALS = ["1m", "5m", "15m", "1h"] as const;
const MAX_BODY = 16 * 1024;
const NAMES =
  /^((sma|ema|rsi|bb|rv|rvol)\d{1,3}|vwapdev)(,((sma|ema|rsi|bb|rv|rvol)\d{1,3}|vwapdev))*$/;
const STREAM_HEADERS = { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" };

const failure = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorResponse } },
});
const reads = {
  400: failure(
    "A parameter is invalid, or names an indicator analytics does not compute; `error.issues` names each one",
  ),
  503: failure(
    "Analytics (or its store) did not answer in time (`analytics_unavailable`); retry after `Retry-After` seconds",
  ),
};
const actions = {
  ...reads,
  401: failure("An operator token is needed (`operator_token_required`, `invalid_operator_token`)"),
  403: failure("Without API_OPERATOR_TOKENS only loopback clients may do this (`loopback_only`)"),
  413: failure("The body is larger than 16 KiB (`body_too_large`)"),
};
const bearer = [{ operatorToken: [] }];

const isoTime = (name: string, meaning: string) =>
  z
    .string()
    .max(40)
    .superRefine((text, ctx) => {
      const parsed = parseTimestamp(text);
      if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
    })
    .optional()
    .openapi({
      param: { name, in: "query" },
      description: meaning,
      example: "2026-12-07T14:30:00Z",
    });
const range = {
  from: isoTime("from", "Inclusive start, by bar start (default: 24 h before `to`)"),
  to: isoTime("to", "Exclusive end, by bar start (default: now); at most 7 days after `from`"),
};

const routes = {
  indicators: createRoute({
    method: "get",
    path: "/v1/indicators/{symbol}",
    summary: "Indicator values of a symbol per bar, oldest first (exact, provisional marked)",
    description:
      "From analytics' `GET /v1/indicators/{symbol}`. Names: sma<N>, ema<N>, rsi<N>, bb<N> (Bollinger, k = 2: " +
      "value is {lower, middle, upper}), rv<N> (realized volatility, %), rvol<N> (relative volume against the " +
      "same bar of the previous N sessions), vwapdev (% from the session VWAP); only those analytics computes " +
      "(ANALYTICS_INDICATORS). Sessions are UTC days: each indicator warms up again at 00:00 UTC and reports " +
      "nothing until warm. Decimals are exact, rounded once half to even at 1e-6 where a division or a root is " +
      "needed. `provisional` marks values of a bar that may still change.",
    request: {
      params: z.object({
        symbol: z
          .string()
          .regex(/^[A-Za-z0-9.-]{1,12}$/, "must be a ticker like AAPL or BRK.B")
          .openapi({ param: { name: "symbol", in: "path" }, example: "AAPL" }),
      }),
      query: z
        .object({
          interval: z
            .enum(INDICATOR_INTERVALS)
            .default("1m")
            .openapi({ param: { name: "interval", in: "query" } }),
          names: z
            .string()
            .max(400)
            .regex(NAMES, "must be comma-separated names such as sma20,ema12,rsi14,bb20,vwapdev")
            .optional()
            .openapi({
              param: { name: "names", in: "query" },
              example: "sma20,rsi14,bb20",
              description: "Default: every computed indicator",
            }),
          ...range,
        })
        .strict(),
    },
    responses: {
      200: {
        description: "Series by name",
        content: { "application/json": { schema: IndicatorsResponse } },
      },
      ...reads,
    },
  }),
  alerts: createRoute({
    method: "get",
    path: "/v1/alerts",
    summary: "Stored alert firings whose bar started in [from, to), oldest first",
    description: "From analytics' `GET /v1/alerts`; at most 7 days.",
    request: { query: z.object(range).strict() },
    responses: {
      200: {
        description: "Alerts",
        content: { "application/json": { schema: AnalyticsAlertsResponse } },
      },
      ...reads,
    },
  }),
  listRules: createRoute({
    method: "get",
    path: "/v1/alerts/rules",
    summary: "Alert rules (webhook URLs only for operators; secrets never)",
    responses: {
      200: {
        description: "Rules",
        content: { "application/json": { schema: AlertRulesResponse } },
      },
      ...reads,
    },
  }),
  createRule: createRoute({
    method: "post",
    path: "/v1/alerts/rules",
    summary: "Creates an alert rule (operator action)",
    description:
      "Conditions: price_cross {level, direction, hysteresis}, percent_move {percent, windowMinutes, direction, " +
      "hysteresis}, rsi {length, above|below, hysteresis}, volume {k, sessions | baselineBars}. Evaluated on " +
      "every update of the symbol's latest 1-minute bar, latched after firing until the condition clears by " +
      "the hysteresis; each firing once (dedup key rule|bar|event). A webhook gets each firing signed: " +
      '`X-Marketpipe-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.',
    security: bearer,
    request: { body: { content: { "application/json": { schema: RuleRequest } }, required: true } },
    responses: {
      201: {
        description: "The rule",
        content: { "application/json": { schema: AlertRuleSchema } },
      },
      ...actions,
    },
  }),
  deleteRule: createRoute({
    method: "delete",
    path: "/v1/alerts/rules/{id}",
    summary: "Deletes an alert rule (operator action)",
    security: bearer,
    request: {
      params: z.object({
        id: z
          .string()
          .regex(/^[A-Za-z0-9-]{1,64}$/, "must be a rule id")
          .openapi({ param: { name: "id", in: "path" } }),
      }),
    },
    responses: {
      204: { description: "Deleted" },
      404: failure("No such rule (`unknown_rule`)"),
      ...actions,
    },
  }),
  stream: createRoute({
    method: "get",
    path: "/v1/alerts/stream",
    summary: "Server-Sent Events: `alert` (an AnalyticsAlert) for each firing from now on",
    description:
      "First `ready`; then `alert` events (`id:` = the alert's dedup key) and `analytics` events " +
      "(`{state: down|up}`) when the api's connection to analytics is lost or back (re-read `/v1/alerts` " +
      "for firings in between). Takes one of the `/v1/stream` slots with the same limits (queue, slow client, " +
      "`busy`/`dropped`/`shutdown` endings with `retry:`). When analytics cannot be reached: 503 " +
      "`analytics_unavailable` (an EventSource gets one `unavailable` event with `retry:`).",
    responses: {
      200: {
        description: "text/event-stream",
        content: { "text/event-stream": { schema: z.string() } },
      },
      429: failure("This address has as many streams open as it may"),
      503: failure("Every stream slot is taken, or analytics is unreachable"),
    },
  }),
};

/**
 * The analytics routes: indicators, stored alerts, alert rules (create and delete are operator
 * actions) and the live alert stream, through analytics' own HTTP API. Analytics down, slow or
 * answering garbage is a 503 `analytics_unavailable` that names no address.
 *
 * @example
 *   mountAnalyticsRoutes(api, { log, analytics, alerts, operatorTokens, streams });
 */
export function mountAnalyticsRoutes(api: OpenAPIHono, deps: AnalyticsDeps) {
  const relay = (c: Context, answer: UpstreamAnswer) => {
    if (answer.status === 401 || answer.status === 403) {
      deps.log.error(
        { status: answer.status, code: (answer.body.error as { code?: string })?.code },
        "analytics refused the api's operator action: check ANALYTICS_OPERATOR_TOKEN",
      );
      throw new ApiError(
        503,
        "analytics_refused_api",
        "analytics refused the api's credentials (ANALYTICS_OPERATOR_TOKEN); tell the operator",
      );
    }
    return c.json(answer.body, answer.status as 200) as never;
  };
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

  api.use("/v1/alerts/rules", bodyLimit({ maxSize: MAX_BODY, onError: tooLarge }));
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

function tooLarge(): never {
  throw new ApiError(413, "body_too_large", `request body exceeds ${MAX_BODY} bytes`, {
    limitBytes: MAX_BODY,
  });
}
