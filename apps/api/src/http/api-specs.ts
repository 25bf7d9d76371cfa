import { createRoute, z } from "@hono/zod-openapi";
import { failure } from "@repo/contracts/http-errors";
import {
  BarsResponse,
  PipelineResponse,
  QuotesResponse,
  SymbolsResponse,
  TicksResponse,
} from "./responses.ts";
import {
  barsQuery,
  MAX_TICKS_SPAN_DAYS,
  optionalSymbolsParam,
  symbolParam,
  symbolsParam,
  ticksQuery,
} from "./schemas.ts";

const errors = {
  400: failure("A parameter is invalid; `error.issues` names each one"),
  503: failure("Cassandra is unreachable (`store_unavailable`; retry after `Retry-After` seconds)"),
};

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  200: { description, content: { "application/json": { schema } } },
  ...errors,
});

/** The market data, stream and pipeline routes as /openapi.json documents them (the `/v1` core). */
export const apiRoutes = {
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
      429: failure("Too many open streams from this address (`too_many_streams_from_client`)"),
      503: failure("Too many open streams (`too_many_streams`)"),
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
