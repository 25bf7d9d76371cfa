import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { formatTimestamp } from "@repo/contracts";
import { IndicatorsResponse } from "@repo/contracts/analytics-responses";
import { timeParam } from "@repo/contracts/http-params";
import { invalidParameter } from "@repo/platform/http";
import type { AnalyticsStore } from "../cassandra/store.ts";
import { parseIndicator } from "../indicators/specs.ts";
import { INTERVAL_NAMES, type Interval } from "../series/rollup.ts";
import { errors, MAX_SPAN_DAYS, type RouteKit } from "./route-kit.ts";

/** Longest span, and the default one, of a 1d indicators query (one row per day). */
export const MAX_DAILY_SPAN_DAYS = 400;
export const DEFAULT_DAILY_SPAN_DAYS = 90;

const indicatorsRoute = createRoute({
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
});

/** The indicator names a query asks for, each checked against those computed here. */
function askedNames(
  names: string | undefined,
  interval: Interval,
  computed: readonly string[],
): string[] {
  const asked =
    names === undefined
      ? computed.filter((name) => interval !== "1d" || name !== "vwapdev")
      : names
          .split(",")
          .map((n) => n.trim())
          .filter(Boolean);
  if (asked.length === 0) throw invalidParameter("names", "must name an indicator");
  for (const name of asked) {
    const parsed = parseIndicator(name);
    if (!parsed.ok) throw invalidParameter("names", parsed.message);
    if (!computed.includes(name))
      throw invalidParameter(
        "names",
        `${name} is not computed here; computed: ${computed.join(", ")}`,
      );
    if (interval === "1d" && parsed.spec.family === "vwapdev")
      throw invalidParameter("names", "vwapdev is intraday only (the session's own VWAP)");
  }
  return asked;
}

/**
 * `GET /v1/indicators/{symbol}`: stored indicator series by name.
 *
 * @example
 *   mountIndicatorRoutes(api, kit, { store, indicatorNames: ["sma20", "rsi14"] });
 */
export function mountIndicatorRoutes(
  api: OpenAPIHono,
  kit: RouteKit,
  deps: { store: Pick<AnalyticsStore, "indicators">; indicatorNames: readonly string[] },
) {
  api.openapi(indicatorsRoute, async (c) => {
    const { symbol } = c.req.valid("param");
    const { interval, names, from, to } = c.req.valid("query");
    const asked = askedNames(names, interval, deps.indicatorNames);
    const { start, end } =
      interval === "1d"
        ? kit.range(from, to, {
            defaultDays: DEFAULT_DAILY_SPAN_DAYS,
            maxDays: MAX_DAILY_SPAN_DAYS,
          })
        : kit.range(from, to);
    const upper = symbol.toUpperCase();
    const stored = await kit.read("indicators", () =>
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
}
