import type { OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "@repo/platform/http";
import type { Stats } from "@repo/platform/stats";
import type { Context } from "hono";
import { METRIC } from "../stats.ts";
import type { StreamAdmission, StreamRefusal } from "../stream/admission.ts";
import type { MarketStream } from "../stream/market-stream.ts";
import { apiRoutes as routes } from "./api-specs.ts";
import { barJson, tickJson } from "./market-routes.ts";
import { splitSymbols } from "./schemas.ts";
import { remoteAddress, type StreamLimits, sseMessage, streamMarket } from "./sse.ts";

export interface StreamDeps {
  stats: Stats;
  stream: MarketStream;
  /** Open-stream caps, in all and per remote address. */
  admission: StreamAdmission;
  streamLimits: StreamLimits;
}

/**
 * `GET /v1/stream`: quotes and bars as Server-Sent Events, within the open-stream caps (a refused
 * EventSource gets one `busy` event with `retry:`); HEAD answers the headers and opens no stream.
 *
 * @example
 *   mountStreamRoute(api, { stats, stream, admission, streamLimits });
 */
export function mountStreamRoute(api: OpenAPIHono, deps: StreamDeps) {
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
