import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { formatTimestamp, type Tick, tickToJson } from "@repo/contracts";
import { isRetriable } from "@repo/platform/errors";
import { ApiError, formatPath } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import type { ZodError } from "zod";
import { CursorError } from "../market/cursor.ts";
import type { MarketReader } from "../market/reader.ts";
import { rollup, type StoredBar } from "../market/rollup.ts";
import {
  ceilTo,
  DAY_US,
  DEFAULT_BARS,
  floorTo,
  INTERVALS,
  MAX_SPAN_US,
  MINUTE_US,
} from "../market/time.ts";
import type { ServiceHealth } from "../pipeline/health.ts";
import type { MarketStream } from "../stream/market-stream.ts";
import {
  type BarJson,
  BarsResponse,
  ErrorResponse,
  PipelineResponse,
  QuotesResponse,
  SymbolsResponse,
  type TickJson,
  TicksResponse,
} from "./responses.ts";
import {
  barsQuery,
  MAX_TICKS_SPAN_DAYS,
  micros,
  optionalSymbolsParam,
  splitSymbols,
  symbolParam,
  symbolsParam,
  ticksQuery,
} from "./schemas.ts";
import { streamMarket } from "./sse.ts";

export interface ApiDeps {
  log: Logger;
  reader: MarketReader;
  stream: MarketStream;
  maxStreamClients: number;
  pipeline: () => Promise<ServiceHealth[]>;
  now?: () => number;
}

const errors = {
  400: {
    description: "A parameter is invalid; `error.issues` names each one",
    content: { "application/json": { schema: ErrorResponse } },
  },
  503: {
    description: "Cassandra is unreachable (retry after `Retry-After` seconds)",
    content: { "application/json": { schema: ErrorResponse } },
  },
};

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  200: { description, content: { "application/json": { schema } } },
  ...errors,
});

const routes = {
  symbols: createRoute({
    method: "get",
    path: "/v1/symbols",
    summary: "Symbols with stored data and the event time of their latest tick",
    responses: json(SymbolsResponse, "Symbols, alphabetically"),
  }),
  quotes: createRoute({
    method: "get",
    path: "/v1/quotes",
    summary: "The latest tick of each symbol asked (symbols without data are left out)",
    request: { query: z.object({ symbols: symbolsParam }) },
    responses: json(QuotesResponse, "Latest ticks in the order asked"),
  }),
  bars: createRoute({
    method: "get",
    path: "/v1/bars/{symbol}",
    summary: "OHLCV + VWAP bars; intervals above 1m are exact rollups of the stored 1-minute bars",
    description:
      "Every bar whose interval overlaps [from, to), complete (all its minutes), oldest first. " +
      "Buckets are aligned to the UTC epoch (days start at 00:00 UTC). VWAP of a rollup is " +
      "Σ(vwap·volume)/Σvolume rounded half to even to 6 decimals. Span limits: 1m 7 days, " +
      "5m 31, 15m and 1h 92, 1d 366.",
    request: { params: z.object({ symbol: symbolParam }), query: barsQuery },
    responses: json(BarsResponse, "Bars, oldest first"),
  }),
  ticks: createRoute({
    method: "get",
    path: "/v1/ticks/{symbol}",
    summary: "Stored ticks with event time in [from, to), oldest first, paged by an opaque cursor",
    description: `At most ${MAX_TICKS_SPAN_DAYS} days per query. \`next\` is null once the range is exhausted.`,
    request: { params: z.object({ symbol: symbolParam }), query: ticksQuery },
    responses: json(TicksResponse, "A page of ticks"),
  }),
  stream: createRoute({
    method: "get",
    path: "/v1/stream",
    summary: "Server-Sent Events `quote` (a Tick) and `bar` (symbol + a 1-minute Bar) as stored",
    description:
      "Polls Cassandra for changes (see API_STREAM_POLL_MS); first sends the current state.",
    request: { query: z.object({ symbols: optionalSymbolsParam }) },
    responses: {
      200: {
        description: "text/event-stream",
        content: { "text/event-stream": { schema: z.string() } },
      },
      400: errors[400],
      503: {
        description: "Too many open streams",
        content: { "application/json": { schema: ErrorResponse } },
      },
    },
  }),
  pipeline: createRoute({
    method: "get",
    path: "/v1/pipeline",
    summary: "Each pipeline service's /stats (ingest, producer, consumer) for the dashboard",
    responses: json(PipelineResponse, "One entry per service"),
  }),
};

/**
 * The `/v1` routes and `/openapi.json`, generated from the same zod schemas that validate every
 * parameter (a bad one is a 400 naming it).
 *
 * @example
 *   app.route("/", createApiRoutes({ reader, stream, maxStreamClients: 100, pipeline }));
 */
export function createApiRoutes(deps: ApiDeps) {
  const now = deps.now ?? (() => Date.now() * 1000);
  /** A read whose transient failure (Cassandra down, timeouts) is a 503 the client may retry. */
  const read = async <T>(what: string, task: () => Promise<T>): Promise<T> => {
    try {
      return await task();
    } catch (error) {
      if (error instanceof ApiError || error instanceof CursorError || !isRetriable(error))
        throw error;
      deps.log.warn({ err: error, read: what }, "Cassandra read failed");
      return Promise.reject(
        new ApiError(
          503,
          "store_unavailable",
          `Cassandra could not answer: ${(error as Error).message}`,
          {},
          { "Retry-After": "5" },
        ),
      );
    }
  };
  const api = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) throw invalidParameters(result.error, result.target);
    },
  });

  api.openapi(routes.symbols, async (c) => {
    const symbols = await read("symbols", () => deps.reader.symbols());
    return c.json(
      {
        symbols: symbols.map((s) => ({
          symbol: s.symbol,
          latestEventTime: formatTimestamp(s.latestEventTime),
        })),
      },
      200,
    );
  });

  api.openapi(routes.quotes, async (c) => {
    const symbols = splitSymbols(c.req.valid("query").symbols);
    const ticks = await read("quotes", () => deps.reader.latest(symbols));
    return c.json({ quotes: ticks.map(tickJson) }, 200);
  });

  api.openapi(routes.bars, async (c) => {
    const { symbol } = c.req.valid("param");
    const query = c.req.valid("query");
    const step = INTERVALS[query.interval];
    const to = micros(query.to, now());
    const from = micros(query.from, to - DEFAULT_BARS * step);
    if (from >= to) throw invalidParameter("from", "must be before `to`");
    if (to - from > MAX_SPAN_US[query.interval]) {
      const days = MAX_SPAN_US[query.interval] / DAY_US;
      throw invalidParameter(
        "from",
        `the range may span at most ${days} days for interval ${query.interval}`,
      );
    }
    const minutes = await read("bars", () =>
      deps.reader.minuteBars(symbol, floorTo(from, step), ceilTo(to, step)),
    );
    const bars = step === MINUTE_US ? minutes : rollup(minutes, step);
    return c.json({ symbol, interval: query.interval, bars: bars.map(barJson) }, 200);
  });

  api.openapi(routes.ticks, async (c) => {
    const { symbol } = c.req.valid("param");
    const query = c.req.valid("query");
    const to = micros(query.to, now());
    const from = micros(query.from, to - 3_600_000_000);
    if (from >= to) throw invalidParameter("from", "must be before `to`");
    if (to - from > MAX_TICKS_SPAN_DAYS * DAY_US)
      throw invalidParameter("from", `the range may span at most ${MAX_TICKS_SPAN_DAYS} days`);
    try {
      const page = await read("ticks", () =>
        deps.reader.ticks(symbol, { fromUs: from, toUs: to }, query.limit, query.cursor),
      );
      return c.json({ ticks: page.ticks.map(tickJson), next: page.next }, 200);
    } catch (error) {
      if (error instanceof CursorError) throw invalidParameter("cursor", error.message);
      throw error;
    }
  });

  api.openapi(routes.stream, (c) => {
    const { symbols } = c.req.valid("query");
    if (deps.stream.clients() >= deps.maxStreamClients) {
      throw new ApiError(
        503,
        "too_many_streams",
        `${deps.maxStreamClients} streams are open; try again later`,
        {},
        { "Retry-After": "5" },
      );
    }
    return streamMarket(c, deps.stream, symbols === undefined ? null : splitSymbols(symbols), {
      tick: tickJson,
      bar: (symbol, bar) => ({ symbol, interval: "1m", ...barJson(bar) }),
    }) as never;
  });

  api.openapi(routes.pipeline, async (c) => c.json({ services: await deps.pipeline() }, 200));

  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "marketpipe api",
      version: "1.0.0",
      description:
        "Market data stored by the pipeline: symbols, latest quotes, bars, ticks and a live stream. " +
        "Times are ISO-8601 UTC with microseconds; decimals are strings; errors are " +
        '`{"error":{"code","message","issues"?}}`.',
    },
  });
  return api;
}

export function tickJson(tick: Tick) {
  return tickToJson(tick) as TickJson;
}

export function barJson(bar: StoredBar): BarJson {
  return {
    start: formatTimestamp(bar.start),
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: Number(bar.volume),
    vwap: bar.vwap,
    trades: Number(bar.trades),
  };
}

/** A 400 naming the parameter, in the same shape as a zod refusal. */
function invalidParameter(name: string, message: string, where = "query") {
  return new ApiError(400, "invalid_parameter", `${name}: ${message}`, {
    issues: [{ path: name, in: where, message }],
  });
}

function invalidParameters(error: ZodError, target: string) {
  const issues = error.issues.map((issue) => ({
    path: formatPath(issue.path as (string | number)[]),
    in: target === "param" ? "path" : target,
    message: issue.message,
  }));
  const message = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  return new ApiError(400, "invalid_parameter", message, { issues });
}
