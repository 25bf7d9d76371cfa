import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { formatTimestamp, type Tick, tickToJson } from "@repo/contracts";
import { isRetriable } from "@repo/platform/errors";
import { ApiError, formatPath } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";
import type { BearerToken } from "@repo/platform/tokens";
import { bearerTokenOf } from "@repo/platform/tokens";
import type { Context } from "hono";
import type { ZodError } from "zod";
import {
  type CursorCodec,
  CursorError,
  type TicksCursor,
  type TicksPosition,
} from "../market/cursor.ts";
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
import { publicHealth, type ServiceHealth } from "../pipeline/health.ts";
import { METRIC } from "../stats.ts";
import type { StreamAdmission, StreamRefusal } from "../stream/admission.ts";
import type { MarketStream } from "../stream/market-stream.ts";
import { type AnalyticsDeps, mountAnalyticsRoutes } from "./analytics-routes.ts";
import { type ConsoleDeps, mountConsoleRoutes } from "./console-routes.ts";
import { mountOpsRoutes, type OpsDeps } from "./ops-routes.ts";
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
import { remoteAddress, type StreamLimits, sseMessage, streamMarket } from "./sse.ts";

export interface ApiDeps {
  log: Logger;
  stats: Stats;
  reader: MarketReader;
  stream: MarketStream;
  /** Open-stream caps, in all and per remote address. */
  admission: StreamAdmission;
  streamLimits: StreamLimits;
  cursors: CursorCodec;
  /** Callers presenting one of these see `/v1/pipeline` in full (URLs, whole `/stats`). */
  operatorTokens: readonly BearerToken[];
  pipeline: () => Promise<ServiceHealth[]>;
  /** The Kafka console and schema routes (`/v1/kafka/*`, `/v1/schemas*`); absent, they are not served. */
  console?: Omit<ConsoleDeps, "log" | "operatorTokens">;
  /** Runs, providers, streams, backfills (through ingest), alerts and the streaming job. */
  ops?: Omit<OpsDeps, "log" | "operatorTokens">;
  /** Indicators, alerts and alert rules (through analytics); absent, they are not served. */
  analytics?: Omit<AnalyticsDeps, "log" | "operatorTokens" | "streams">;
  now?: () => number;
}

const errors = {
  400: {
    description: "A parameter is invalid; `error.issues` names each one",
    content: { "application/json": { schema: ErrorResponse } },
  },
  503: {
    description:
      "Cassandra is unreachable (`store_unavailable`; retry after `Retry-After` seconds)",
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
    description:
      `At most ${MAX_TICKS_SPAN_DAYS} days per query. \`next\` is null once the range is ` +
      "exhausted. A cursor is signed, expires (API_CURSOR_TTL_MS) and carries its symbol and " +
      "range, so `?cursor=<next>` alone (with any `limit`) reads the next page; `from`/`to`, " +
      "when also given, must be the cursor's. A cursor that was altered, forged, expired or " +
      "belongs to another symbol or range is a 400 naming `cursor`.",
    request: { params: z.object({ symbol: symbolParam }), query: ticksQuery },
    responses: json(TicksResponse, "A page of ticks"),
  }),
  stream: createRoute({
    method: "get",
    path: "/v1/stream",
    summary:
      "Server-Sent Events `quote` (a Tick) and `bar` (symbol + a 1-minute Bar), live from Kafka",
    description:
      "First sends `ready`, then a snapshot: the latest stored tick of each wanted symbol " +
      "(Cassandra's latest_quotes) with the bars of its minute and the one before; then every " +
      "change as Kafka carries it: a tick of market.ticks that the consumer's checks accept and " +
      "that is newer than the symbol's quote, and each bar of market.bars.1m (the consumer " +
      "publishes a bar once it is stored). A client that falls API_STREAM_QUEUE_MAX events behind, or whose socket takes no " +
      "data for API_STREAM_WRITE_TIMEOUT_MS, is dropped (final event `dropped` when it can still " +
      "be written); a shutdown ends every stream with `shutdown`. Both carry `retry:`. Beyond " +
      "API_STREAM_MAX_CLIENTS streams (503) or API_STREAM_MAX_PER_CLIENT from one address (429), " +
      "a request that accepts `text/event-stream` gets a 200 stream of one `busy` event with " +
      "`retry:` (so an EventSource reconnects later); others get the JSON error with Retry-After. " +
      "HEAD answers the stream's headers without opening one.",
    request: { query: z.object({ symbols: optionalSymbolsParam }) },
    responses: {
      200: {
        description: "text/event-stream",
        content: { "text/event-stream": { schema: z.string() } },
      },
      400: errors[400],
      429: {
        description: "Too many open streams from this address (`too_many_streams_from_client`)",
        content: { "application/json": { schema: ErrorResponse } },
      },
      503: {
        description: "Too many open streams (`too_many_streams`)",
        content: { "application/json": { schema: ErrorResponse } },
      },
    },
  }),
  pipeline: createRoute({
    method: "get",
    path: "/v1/pipeline",
    summary: "Each pipeline service's state (ingest, producer, consumer) for the dashboard",
    description:
      "Without an operator token: each service's name, state and the counters the dashboard " +
      "shows. With `Authorization: Bearer <token>` from API_OPERATOR_TOKENS: also its URL, its " +
      "whole `/stats` and why it is down.",
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
      if (error instanceof ApiError || !isRetriable(error)) throw error;
      deps.log.warn({ err: error, read: what }, "Cassandra read failed");
      return Promise.reject(
        new ApiError(
          503,
          "store_unavailable",
          "the market data store is unavailable; retry later",
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
    let range: { fromUs: number; toUs: number };
    let position: TicksPosition | undefined;
    if (query.cursor !== undefined) {
      const cursor = decodeCursor(deps.cursors, query.cursor);
      const asked = {
        fromUs: micros(query.from, cursor.fromUs),
        toUs: micros(query.to, cursor.toUs),
      };
      if (cursor.symbol !== symbol || asked.fromUs !== cursor.fromUs || asked.toUs !== cursor.toUs)
        throw invalidParameter(
          "cursor",
          "belongs to another symbol or time range",
          "query",
          "other_query",
        );
      range = asked;
      position = { day: cursor.day, pageState: cursor.pageState };
    } else {
      const to = micros(query.to, now());
      range = { fromUs: micros(query.from, to - 3_600_000_000), toUs: to };
    }
    if (range.fromUs >= range.toUs) throw invalidParameter("from", "must be before `to`");
    if (range.toUs - range.fromUs > MAX_TICKS_SPAN_DAYS * DAY_US)
      throw invalidParameter("from", `the range may span at most ${MAX_TICKS_SPAN_DAYS} days`);
    const page = await read("ticks", () => deps.reader.ticks(symbol, range, query.limit, position));
    const next = page.next ? deps.cursors.encode({ symbol, ...range, ...page.next }) : null;
    return c.json({ ticks: page.ticks.map(tickJson), next }, 200);
  });

  api.openapi(routes.stream, (c) => {
    const { symbols } = c.req.valid("query");
    // Hono answers HEAD with the GET handler and drops the body: never open a stream for it.
    if (c.req.method !== "GET") return headOfStream(c) as never;
    const slot = deps.admission.admit(remoteAddress(c));
    if ("refused" in slot) {
      deps.stats.counter(METRIC.streamRefused(slot.refused)).add();
      return refuseStream(c, slot.refused, deps.streamLimits.retryMs) as never;
    }
    return streamMarket(c, {
      stream: deps.stream,
      symbols: symbols === undefined ? null : splitSymbols(symbols),
      limits: deps.streamLimits,
      render: (event) =>
        event.event === "quote"
          ? tickJson(event.tick)
          : { symbol: event.symbol, interval: "1m", ...barJson(event.bar) },
      done: (end) => {
        slot.release();
        deps.stats.counter(METRIC.streamEnded(end)).add();
      },
    }) as never;
  });

  api.openapi(routes.pipeline, async (c) => {
    const services = await deps.pipeline();
    const operator = bearerTokenOf(deps.operatorTokens, c.req.header("authorization"));
    return c.json({ services: operator ? services : services.map(publicHealth) }, 200);
  });

  if (deps.console)
    mountConsoleRoutes(api, {
      ...deps.console,
      log: deps.log,
      operatorTokens: deps.operatorTokens,
      streams: { admission: deps.admission, limits: deps.streamLimits },
    });

  if (deps.ops)
    mountOpsRoutes(api, { ...deps.ops, log: deps.log, operatorTokens: deps.operatorTokens });

  if (deps.analytics)
    mountAnalyticsRoutes(api, {
      ...deps.analytics,
      log: deps.log,
      operatorTokens: deps.operatorTokens,
      streams: { admission: deps.admission, limits: deps.streamLimits },
    });

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

/** The cursor a `/v1/ticks` request carries, or the 400 naming `cursor` and why it is refused. */
function decodeCursor(cursors: CursorCodec, token: string): TicksCursor {
  try {
    return cursors.decode(token);
  } catch (error) {
    if (error instanceof CursorError)
      throw invalidParameter("cursor", error.message, "query", error.reason);
    throw error;
  }
}

const STREAM_HEADERS = { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" };

function headOfStream(c: Context) {
  return c.body(null, 200, STREAM_HEADERS);
}

/**
 * A refused stream: for an EventSource (`Accept: text/event-stream`) a 200 stream of one `busy`
 * event whose `retry:` says when to come back (an EventSource does not retry after a 4xx/5xx);
 * for other clients a JSON 503 (all streams taken) or 429 (this address's) with Retry-After.
 */
function refuseStream(c: Context, refusal: StreamRefusal, retryMs: number) {
  const retryAfter = String(Math.ceil(retryMs / 1000));
  const message =
    refusal === "too_many_streams"
      ? "every stream slot is taken; retry later"
      : "this address has as many streams open as it may; close one or retry later";
  if (c.req.header("accept")?.includes("text/event-stream")) {
    const body = sseMessage("busy", { error: { code: refusal, message } }, retryMs);
    return c.body(body, 200, { ...STREAM_HEADERS, "Retry-After": retryAfter, Connection: "close" });
  }
  throw new ApiError(
    refusal === "too_many_streams" ? 503 : 429,
    refusal,
    message,
    {},
    { "Retry-After": retryAfter },
  );
}

/** A 400 naming the parameter, in the same shape as a zod refusal. */
function invalidParameter(name: string, message: string, where = "query", reason?: string) {
  return new ApiError(400, "invalid_parameter", `${name}: ${message}`, {
    issues: [{ path: name, in: where, message, ...(reason ? { reason } : {}) }],
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
