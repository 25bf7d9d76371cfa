import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { failure } from "@repo/contracts/http-errors";
import { ApiError } from "@repo/platform/http";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { AlertHub, HubClient } from "../alerts/hub.ts";
import { alertJson } from "../alerts/webhooks.ts";

const streamRoute = createRoute({
  method: "get",
  path: "/v1/alerts/stream",
  summary: "Server-Sent Events: `alert` (an AnalyticsAlert) for each firing recorded from now on",
  description:
    "First sends `ready`. A client that lets ANALYTICS_STREAM_QUEUE_MAX alerts wait is dropped (final event " +
    "`dropped`); beyond ANALYTICS_STREAM_MAX_CLIENTS streams the answer is 503. Each member of the analytics " +
    "group streams the firings it recorded (those of the partitions it owns).",
  responses: {
    200: {
      description: "text/event-stream",
      content: { "text/event-stream": { schema: z.string() } },
    },
    503: failure("Too many streams (`too_many_streams`)"),
  },
});

/** Keep-alive comment interval of an idle stream. */
const KEEPALIVE_MS = 15_000;

/** Waits until `client` is woken (an alert queued, the stream aborted) or the keep-alive is due. */
const nextWake = (client: HubClient) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, KEEPALIVE_MS);
    client.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });

/** The last event of a stream the server ends, `{code, message}` as an error body. */
const ending = (
  sse: SSEStreamingApi,
  event: string,
  code: string,
  message: string,
  retry?: number,
) => sse.writeSSE({ event, data: JSON.stringify({ code, message }), retry });

/**
 * `GET /v1/alerts/stream`: `ready`, then an `alert` event per firing this member records; the
 * stream ends with `dropped` (a slow client) or `shutdown` (SIGTERM).
 *
 * @example
 *   mountAlertStream(api, { hub, streamRetryMs: 5000 });
 */
export function mountAlertStream(
  api: OpenAPIHono,
  deps: { hub: AlertHub; streamRetryMs?: number },
) {
  const retry = deps.streamRetryMs ?? 5000;
  api.openapi(streamRoute, (c) => {
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
        await sse.writeSSE({ event: "ready", data: "{}", retry });
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
          await nextWake(client);
          if (!ended && client.queue.length === 0 && !client.dropped && !client.closed)
            await sse.write(": keepalive\n\n");
        }
        if (ended) return;
        if (client.closed)
          await ending(
            sse,
            "shutdown",
            "shutting_down",
            "analytics is shutting down; reconnect later",
            retry,
          );
        if (client.dropped)
          await ending(
            sse,
            "dropped",
            "slow_client",
            "too many alerts waited for this client; reconnect",
          );
      } finally {
        deps.hub.leave(client);
      }
    }) as never;
  });
}
