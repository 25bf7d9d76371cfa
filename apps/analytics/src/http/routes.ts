import { randomUUID } from "node:crypto";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { formatTimestamp, parseTimestamp } from "@repo/contracts";
import { isRetriable } from "@repo/platform/errors";
import { ApiError, formatPath } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import { type BearerToken, bearerTokenOf } from "@repo/platform/tokens";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { ZodError } from "zod";
import type { AlertHub } from "../alerts/hub.ts";
import { type Rule, RuleRequest } from "../alerts/rules.ts";
import { alertJson } from "../alerts/webhooks.ts";
import type { AnalyticsStore } from "../cassandra/store.ts";
import { parseIndicator } from "../indicators/specs.ts";
import { DAY_US, INTERVAL_NAMES, INTERVALS, type Interval } from "../series/rollup.ts";

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

/** Longest span one indicators or alerts query reads. */
export const MAX_SPAN_DAYS = 7;
/** Longest span, and the default one, of a 1d indicators query (one row per day). */
export const MAX_DAILY_SPAN_DAYS = 400;
export const DEFAULT_DAILY_SPAN_DAYS = 90;

const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      issues: z
        .array(z.object({ path: z.string(), in: z.string().optional(), message: z.string() }))
        .optional(),
    }),
  })
  .openapi("Error");

const errors = {
  400: {
    description: "A parameter or the body is invalid; `error.issues` names each one",
    content: { "application/json": { schema: ErrorResponse } },
  },
  503: {
    description: "Cassandra is unreachable (`store_unavailable`)",
    content: { "application/json": { schema: ErrorResponse } },
  },
};
const operatorErrors = {
  401: {
    description: "No or an unknown operator token (`unauthenticated`)",
    content: { "application/json": { schema: ErrorResponse } },
  },
};

const timeParam = (name: string, meaning: string) =>
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
      example: "2026-01-05T14:30:00Z",
      format: "date-time",
    });

const IndicatorPoint = z.object({
  time: z.string().openapi({ description: "Start of the bar, ISO 8601 UTC" }),
  value: z.union([
    z.string(),
    z.object({ lower: z.string(), middle: z.string(), upper: z.string() }),
  ]),
  provisional: z.boolean(),
});
const IndicatorsResponse = z
  .object({
    symbol: z.string(),
    interval: z.string(),
    series: z.record(z.string(), z.array(IndicatorPoint)),
  })
  .openapi("Indicators");
const RuleResponse = z
  .object({
    id: z.string(),
    symbol: z.string(),
    condition: z.record(z.string(), z.unknown()),
    webhook: z.object({ url: z.string() }).nullable(),
    createdAt: z.string(),
  })
  .openapi("AlertRule");
const AlertResponse = z
  .object({
    id: z.string().openapi({ description: "The dedup key: rule|bar start µs|event" }),
    ruleId: z.string(),
    symbol: z.string(),
    kind: z.string(),
    event: z.string(),
    barStart: z.string(),
    price: z.string(),
    value: z.string().nullable(),
    message: z.string(),
    firedAt: z.string(),
  })
  .openapi("Alert");

const routes = {
  indicators: createRoute({
    method: "get",
    path: "/v1/indicators/{symbol}",
    summary: "Stored indicator values of a symbol, per bar, oldest first",
    description:
      "Names: sma<N>, ema<N>, rsi<N>, bb<N> (Bollinger, k = 2: value is {lower, middle, upper}), rv<N> " +
      "(realized volatility, percent), vwapdev (percent from the session VWAP); only those the service " +
      "computes (ANALYTICS_INDICATORS). Sessions are UTC days: at 1m, 5m, 15m and 1h each indicator warms up " +
      "again at 00:00 UTC; at 1d a day's value comes from the day bars of the symbol's last W sessions " +
      "(W = the longest 1d warm-up computed, EMA/RSI seeded at the first of them; no vwapdev). Nothing is " +
      "reported until warm. Values are exact decimals, rounded half to even at 1e-6 where a division or a " +
      "root is needed. `provisional` marks the open bar. Default range: the last 24 h (1d: " +
      `${DEFAULT_DAILY_SPAN_DAYS} days); at most ${MAX_SPAN_DAYS} days (1d: ${MAX_DAILY_SPAN_DAYS}).`,
    request: {
      params: z.object({
        symbol: z
          .string()
          .regex(/^[A-Za-z0-9.-]{1,12}$/, "must be a ticker like AAPL")
          .openapi({ param: { name: "symbol", in: "path" }, example: "AAPL" }),
      }),
      query: z.object({
        interval: z
          .enum(INTERVAL_NAMES as [Interval, ...Interval[]])
          .default("1m")
          .openapi({ param: { name: "interval", in: "query" } }),
        names: z
          .string()
          .max(400)
          .optional()
          .openapi({
            param: { name: "names", in: "query" },
            example: "sma20,rsi14,bb20",
            description: "Comma-separated; default: every computed indicator",
          }),
        from: timeParam("from", "Inclusive start (bar start)"),
        to: timeParam("to", "Exclusive end (bar start)"),
      }),
    },
    responses: {
      200: {
        description: "Series by name",
        content: { "application/json": { schema: IndicatorsResponse } },
      },
      ...errors,
    },
  }),
  createRule: createRoute({
    method: "post",
    path: "/v1/alerts/rules",
    summary: "Create an alert rule (operator token)",
    description:
      "Conditions: price_cross {level, direction, hysteresis}, percent_move {percent, windowMinutes, direction, hysteresis}, " +
      "rsi {length, above|below, hysteresis}, volume {k, sessions (time-of-day baseline: rvol<sessions>) | baselineBars}. Evaluated on every update of the symbol's latest " +
      "1-minute bar; latched after firing until the condition clears by the hysteresis. A webhook gets each firing " +
      'signed: `X-Marketpipe-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, ' +
      "`X-Marketpipe-Delivery: <alert id>`.",
    request: { body: { content: { "application/json": { schema: RuleRequest } }, required: true } },
    responses: {
      201: { description: "The rule", content: { "application/json": { schema: RuleResponse } } },
      ...errors,
      ...operatorErrors,
    },
  }),
  listRules: createRoute({
    method: "get",
    path: "/v1/alerts/rules",
    summary: "Alert rules (webhook URLs only with an operator token; secrets never)",
    responses: {
      200: {
        description: "Rules",
        content: { "application/json": { schema: z.object({ rules: z.array(RuleResponse) }) } },
      },
      ...errors,
    },
  }),
  deleteRule: createRoute({
    method: "delete",
    path: "/v1/alerts/rules/{id}",
    summary: "Delete an alert rule (operator token)",
    request: {
      params: z.object({
        id: z
          .string()
          .max(64)
          .openapi({ param: { name: "id", in: "path" } }),
      }),
    },
    responses: {
      204: { description: "Deleted" },
      404: {
        description: "No such rule (`unknown_rule`)",
        content: { "application/json": { schema: ErrorResponse } },
      },
      ...errors,
      ...operatorErrors,
    },
  }),
  alerts: createRoute({
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
        content: { "application/json": { schema: z.object({ alerts: z.array(AlertResponse) }) } },
      },
      ...errors,
    },
  }),
  stream: createRoute({
    method: "get",
    path: "/v1/alerts/stream",
    summary: "Server-Sent Events: `alert` (an Alert) for each firing recorded from now on",
    description:
      "First sends `ready`. A client that lets ANALYTICS_STREAM_QUEUE_MAX alerts wait is dropped (final event " +
      "`dropped`); beyond ANALYTICS_STREAM_MAX_CLIENTS streams the answer is 503. Each member of the analytics " +
      "group streams the firings it recorded (those of the partitions it owns).",
    responses: {
      200: {
        description: "text/event-stream",
        content: { "text/event-stream": { schema: z.string() } },
      },
      503: {
        description: "Too many streams (`too_many_streams`)",
        content: { "application/json": { schema: ErrorResponse } },
      },
    },
  }),
};

/**
 * The analytics `/v1` routes and `/openapi.json`, validated by the zod schemas they are documented
 * with (a bad parameter or body is a 400 naming each field).
 *
 * @example
 *   app.route("/", createAnalyticsRoutes({ log, store, indicatorNames, operatorTokens, rules, hub }));
 */
export function createAnalyticsRoutes(deps: RouteDeps) {
  const now = deps.now ?? (() => Date.now() * 1000);
  const read = async <T>(what: string, task: () => Promise<T>): Promise<T> => {
    try {
      return await task();
    } catch (error) {
      if (error instanceof ApiError || !isRetriable(error)) throw error;
      deps.log.warn({ err: error, read: what }, "Cassandra request failed");
      throw new ApiError(
        503,
        "store_unavailable",
        "the analytics store is unavailable; retry later",
        {},
        { "Retry-After": "5" },
      );
    }
  };
  const operator = (c: Context) => {
    if (deps.operatorTokens.length === 0) return "loopback";
    const token = bearerTokenOf(deps.operatorTokens, c.req.header("authorization"));
    return token?.name;
  };
  const requireOperator = (c: Context) => {
    const name = operator(c);
    if (!name)
      throw new ApiError(
        401,
        "unauthenticated",
        "alert rules need Authorization: Bearer <operator token> (API_OPERATOR_TOKENS)",
        {},
        { "WWW-Authenticate": 'Bearer realm="marketpipe-analytics"' },
      );
    return name;
  };
  const range = (
    from: string | undefined,
    to: string | undefined,
    span = { defaultDays: 1, maxDays: MAX_SPAN_DAYS },
  ) => {
    const end = to ? (parseTimestamp(to) as { micros: number }).micros : now() + INTERVALS["1m"];
    const start = from
      ? (parseTimestamp(from) as { micros: number }).micros
      : end - span.defaultDays * DAY_US;
    if (start >= end) throw invalid("from", "query", "must be before `to`");
    if (end - start > span.maxDays * DAY_US)
      throw invalid("to", "query", `must be at most ${span.maxDays} days after \`from\``);
    return { start, end };
  };
  const ruleJson = (rule: Rule, withUrl: boolean) => ({
    id: rule.id,
    symbol: rule.symbol,
    condition: rule.condition as Record<string, unknown>,
    webhook: rule.webhook
      ? { url: withUrl ? rule.webhook.url : "<hidden: operator token needed>" }
      : null,
    createdAt: formatTimestamp(rule.createdAt),
  });

  const api = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) throw invalidParameters(result.error, result.target);
    },
  });

  api.openapi(routes.indicators, async (c) => {
    const { symbol } = c.req.valid("param");
    const { interval, names, from, to } = c.req.valid("query");
    const asked =
      names === undefined
        ? deps.indicatorNames.filter((name) => interval !== "1d" || name !== "vwapdev")
        : names
            .split(",")
            .map((n) => n.trim())
            .filter(Boolean);
    if (asked.length === 0) throw invalid("names", "query", "must name an indicator");
    for (const name of asked) {
      const parsed = parseIndicator(name);
      if (!parsed.ok) throw invalid("names", "query", parsed.message);
      if (!deps.indicatorNames.includes(name))
        throw invalid(
          "names",
          "query",
          `${name} is not computed here; computed: ${deps.indicatorNames.join(", ")}`,
        );
      if (interval === "1d" && parsed.spec.family === "vwapdev")
        throw invalid("names", "query", "vwapdev is intraday only (the session's own VWAP)");
    }
    const { start, end } =
      interval === "1d"
        ? range(from, to, { defaultDays: DEFAULT_DAILY_SPAN_DAYS, maxDays: MAX_DAILY_SPAN_DAYS })
        : range(from, to);
    const upper = symbol.toUpperCase();
    const stored = await read("indicators", () =>
      deps.store.indicators(upper, interval, asked, start, end),
    );
    const series = Object.fromEntries(
      asked.map((name) => [
        name,
        (stored[name] ?? []).map((v) => ({
          time: formatTimestamp(v.start),
          value:
            v.lower !== null && v.upper !== null
              ? { lower: v.lower, middle: v.value, upper: v.upper }
              : v.value,
          provisional: v.provisional,
        })),
      ]),
    );
    return c.json({ symbol: upper, interval, series }, 200);
  });

  api.openapi(routes.createRule, async (c) => {
    const createdBy = requireOperator(c);
    const body = c.req.valid("json");
    if (
      body.condition.kind === "rsi" &&
      !deps.indicatorNames.includes(`rsi${body.condition.length}`)
    )
      throw invalid(
        "condition.length",
        "body",
        `rsi${body.condition.length} is not computed here (ANALYTICS_INDICATORS lists ${deps.indicatorNames.join(", ")})`,
      );
    if (
      body.condition.kind === "volume" &&
      body.condition.sessions !== undefined &&
      !deps.indicatorNames.includes(`rvol${body.condition.sessions}`)
    )
      throw invalid(
        "condition.sessions",
        "body",
        `rvol${body.condition.sessions} is not computed here (ANALYTICS_INDICATORS lists ${deps.indicatorNames.join(", ")})`,
      );
    const rule: Rule = {
      id: randomUUID(),
      symbol: body.symbol,
      condition: body.condition,
      webhook: body.webhook ?? null,
      createdAt: now(),
    };
    await read("putRule", () =>
      deps.store.putRule({
        id: rule.id,
        symbol: rule.symbol,
        condition: rule.condition,
        webhookUrl: rule.webhook?.url ?? null,
        webhookSecret: rule.webhook?.secret ?? null,
        createdBy,
        createdAt: rule.createdAt,
      }),
    );
    deps.rules.put(rule);
    deps.log.info(
      { rule: rule.id, symbol: rule.symbol, kind: rule.condition.kind, createdBy },
      "alert rule created",
    );
    return c.json(ruleJson(rule, true), 201);
  });

  api.openapi(routes.listRules, (c) => {
    const withUrl = operator(c) !== undefined;
    return c.json({ rules: deps.rules.list().map((rule) => ruleJson(rule, withUrl)) }, 200);
  });

  api.openapi(routes.deleteRule, async (c) => {
    requireOperator(c);
    const { id } = c.req.valid("param");
    if (!deps.rules.list().some((rule) => rule.id === id))
      throw new ApiError(404, "unknown_rule", `no alert rule ${JSON.stringify(id.slice(0, 64))}`);
    await read("deleteRule", () => deps.store.deleteRule(id));
    deps.rules.remove(id);
    return c.body(null, 204);
  });

  api.openapi(routes.alerts, async (c) => {
    const { from, to } = c.req.valid("query");
    const { start, end } = range(from, to);
    const firings = await read("alerts", () => deps.store.firings(start, end));
    return c.json({ alerts: firings.map(alertJson) }, 200);
  });

  api.openapi(routes.stream, (c) => {
    const client = deps.hub.join();
    if (!client)
      throw new ApiError(
        503,
        "too_many_streams",
        "too many alert streams are open; retry later",
        {},
        { "Retry-After": "5" },
      );
    c.header("X-Accel-Buffering", "no");
    return streamSSE(c, async (sse) => {
      let ended = false;
      sse.onAbort(() => {
        ended = true;
        client.wake();
      });
      try {
        await sse.writeSSE({ event: "ready", data: "{}", retry: deps.streamRetryMs ?? 5000 });
        while (!ended && !client.dropped && !client.closed) {
          const next = client.queue.shift();
          if (next) {
            await sse.writeSSE({
              event: "alert",
              id: next.dedupKey,
              data: JSON.stringify(alertJson(next)),
            });
            continue;
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 15_000);
            client.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          if (!ended && client.queue.length === 0 && !client.dropped && !client.closed)
            await sse.write(": keepalive\n\n");
        }
        if (client.closed && !ended)
          await sse.writeSSE({
            event: "shutdown",
            data: JSON.stringify({
              code: "shutting_down",
              message: "analytics is shutting down; reconnect later",
            }),
            retry: deps.streamRetryMs ?? 5000,
          });
        if (client.dropped && !ended)
          await sse.writeSSE({
            event: "dropped",
            data: JSON.stringify({
              code: "slow_client",
              message: "too many alerts waited for this client; reconnect",
            }),
          });
      } finally {
        deps.hub.leave(client);
      }
    }) as never;
  });

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

function invalid(path: string, where: string, message: string) {
  return new ApiError(400, "invalid_parameter", `${path}: ${message}`, {
    issues: [{ path, in: where, message }],
  });
}

function invalidParameters(error: ZodError, target: string) {
  const issues = error.issues.map((issue) => ({
    path: formatPath(issue.path as (string | number)[]),
    in: target === "param" ? "path" : target,
    message: issue.message,
  }));
  const code = target === "json" ? "invalid_request" : "invalid_parameter";
  return new ApiError(
    400,
    code,
    issues.map((i) => `${i.path || "(body)"}: ${i.message}`).join("; "),
    { issues },
  );
}
