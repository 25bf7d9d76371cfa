import { createRoute, z } from "@hono/zod-openapi";
import { RuleRequest } from "@repo/contracts/alert-rules";
import { failure } from "@repo/contracts/http-errors";
import {
  AlertRuleSchema,
  AlertRulesResponse,
  AnalyticsAlertsResponse,
  AnalyticsStatusResponse,
  IndicatorsResponse,
} from "./analytics-responses.ts";
import { operatorSecurity, timeParam } from "./schemas.ts";

/** Intervals analytics computes (apps/analytics/src/series/rollup.ts). */
export const INDICATOR_INTERVALS = ["1m", "5m", "15m", "1h", "1d"] as const;
const NAMES =
  /^((sma|ema|rsi|bb|rv|rvol)\d{1,3}|vwapdev)(,((sma|ema|rsi|bb|rv|rvol)\d{1,3}|vwapdev))*$/;

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

const range = {
  from: timeParam("from", "Inclusive start, by bar start (default: 24 h before `to`)"),
  to: timeParam("to", "Exclusive end, by bar start (default: now); at most 7 days after `from`"),
};

/** The analytics routes as /openapi.json documents them (validated by these schemas). */
export const analyticsRoutes = {
  indicators: createRoute({
    method: "get",
    path: "/v1/indicators/{symbol}",
    summary: "Indicator values of a symbol per bar, oldest first (exact, provisional marked)",
    description:
      "From analytics' `GET /v1/indicators/{symbol}`. Names: sma<N>, ema<N>, rsi<N>, bb<N> (Bollinger, k = 2: " +
      "value is {lower, middle, upper}), rv<N> (realized volatility, %), rvol<N> (relative volume against the " +
      "same bar of the previous N sessions), vwapdev (% from the session VWAP); only those analytics computes " +
      "(ANALYTICS_INDICATORS). Sessions are UTC days: at 1m, 5m, 15m and 1h each indicator warms up again at " +
      "00:00 UTC; at 1d a day's value comes from the day bars (the 1d bars) of the symbol's last W sessions " +
      "(W = the longest warm-up analytics computes, EMA/RSI seeded at the first of them; vwapdev is intraday " +
      "only). Nothing is reported until warm. Default range: the last 24 h (1d: 90 days), at most 7 days (1d: " +
      "400). Decimals are exact, rounded once half to even at 1e-6 where a division or a root is needed. " +
      "`provisional` marks values of a bar that may still change.",
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
    security: operatorSecurity,
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
    security: operatorSecurity,
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
  status: createRoute({
    method: "get",
    path: "/v1/analytics/status",
    summary: "Whether analytics is reachable (always 200; the dashboard asks before using it)",
    responses: {
      200: {
        description: "up or down",
        content: { "application/json": { schema: AnalyticsStatusResponse } },
      },
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
