import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { StreamEnd } from "../stats.ts";
import type { StreamEvent } from "../stream/feed.ts";
import type { MarketStream } from "../stream/market-stream.ts";

/** A comment line this often keeps proxies and browsers from closing an idle stream. */
const KEEPALIVE_MS = 15_000;
/** Bytes the socket may hold unsent for one client before it counts as not reading. */
const MAX_UNSENT_BYTES = 1024 * 1024;
/** How long the farewell event of a dropped or closed stream may take. */
const FAREWELL_MS = 1_000;

export interface StreamLimits {
  /** Events queued for one client; beyond this it is dropped (`API_STREAM_QUEUE_MAX`). */
  queueMax: number;
  /** Longest wait for one write (`API_STREAM_WRITE_TIMEOUT_MS`). */
  writeTimeoutMs: number;
  /** The `retry:` an EventSource is told (`API_STREAM_RETRY_MS`). */
  retryMs: number;
  keepaliveMs?: number;
}

/** The Node response under `@hono/node-server` (also under Bun): its socket's state. */
interface NodeConnection {
  incoming?: { socket?: { remoteAddress?: string } };
  outgoing?: {
    writableLength?: number;
    destroy?: () => void;
    once?: (event: "close", listener: () => void) => void;
  };
}

/**
 * The caller's remote address (the TCP peer; `X-Forwarded-For` is not trusted), or "unknown"
 * outside a server (`app.request` in tests).
 *
 * @example
 *   admission.admit(remoteAddress(c));
 */
export function remoteAddress(c: Context): string {
  return (c.env as NodeConnection | undefined)?.incoming?.socket?.remoteAddress ?? "unknown";
}

/**
 * Answers with a Server-Sent Events stream of `quote` and `bar` events for `symbols` (all when
 * null) until the client goes away, with bounded memory per client: at most `queueMax` events
 * wait for it (a newer quote of a symbol, or a newer state of a bar, replaces the waiting one, so
 * a client that reads slowly gets the latest state, not every step), and a client whose socket stops taking data (1 MiB unsent, or one write waiting
 * `writeTimeoutMs`) is dropped. A dropped client gets a final `dropped` event, a shutdown a final
 * `shutdown` event, both with `retry:` so an EventSource reconnects later. `done` runs once when
 * the stream ends, however it ends.
 *
 * @example
 *   return streamMarket(c, { stream, symbols: ["AAPL"], render, limits, done: slot.release });
 */
export function streamMarket(
  c: Context,
  options: {
    stream: MarketStream;
    symbols: string[] | null;
    render: (event: StreamEvent) => unknown;
    limits: StreamLimits;
    done: (end: StreamEnd) => void;
  },
) {
  return streamEvents<StreamEvent>(c, {
    ready: { symbols: options.symbols },
    subscribe: (handlers) => options.stream.subscribe(options.symbols, handlers),
    key: eventKey,
    message: (event) => rendered(event, options.render),
    limits: options.limits,
    done: options.done,
  });
}

/**
 * The bounded SSE machinery of {@link streamMarket} for any event source: a `ready` event, then the
 * events `subscribe` delivers, queued per client (at most `limits.queueMax`; an event whose `key`
 * is already waiting replaces it), written in batches, with the same drop, write-timeout, keepalive
 * and shutdown rules. `message` renders one event as SSE text (see {@link sseMessage}).
 *
 * @example
 *   return streamEvents(c, { ready: { topic }, subscribe: (h) => tail.subscribe(h),
 *     key: (m) => `${m.partition}/${m.offset}`, message: (m) => sseMessage("message", m), limits, done });
 */
export function streamEvents<E>(
  c: Context,
  options: {
    ready: unknown;
    subscribe: (handlers: { send: (event: E) => void; end: () => void }) => () => void;
    key: (event: E) => string;
    message: (event: E) => string;
    limits: StreamLimits;
    done: (end: StreamEnd) => void;
  },
) {
  const { limits } = options;
  const connection = c.env as NodeConnection | undefined;
  c.header("X-Accel-Buffering", "no");
  const response = streamSSE(c, async (sse) => {
    /** Pending events by what they describe: a newer state of the same thing replaces the older. */
    const queue = new Map<string, E>();
    let wake: (() => void) | undefined;
    let ending: StreamEnd | undefined;
    /** The socket stopped taking data: the connection is cut instead of closed. */
    let stuck = false;
    const finish = (end: StreamEnd) => {
      ending ??= end;
      queue.clear();
      wake?.();
    };
    const unsubscribe = options.subscribe({
      send(event) {
        if (ending) return;
        const key = options.key(event);
        if (!queue.has(key) && queue.size >= limits.queueMax) finish("slow_client");
        else queue.set(key, event);
        wake?.();
      },
      end: () => finish("shutdown"),
    });
    sse.onAbort(() => finish("client_gone"));
    connection?.outgoing?.once?.("close", () => finish("client_gone"));

    /** Writes unless the client is gone or stuck; false (and `ending` set) when it is. */
    const write = async (text: string, timeoutMs = limits.writeTimeoutMs) => {
      if ((connection?.outgoing?.writableLength ?? 0) > MAX_UNSENT_BYTES) {
        stuck = true;
        finish("slow_client");
        return false;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const written = await Promise.race([
        sse.write(text).then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (!written) {
        stuck = true;
        finish("write_timeout");
      }
      return written && !sse.aborted;
    };

    try {
      await write(sseMessage("ready", options.ready, limits.retryMs));
      while (!ending) {
        if (queue.size > 0) {
          await write(takeBatch(queue, options.message));
          continue;
        }
        const idle = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), limits.keepaliveMs ?? KEEPALIVE_MS);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        wake = undefined;
        if (idle && !ending) await write(": keepalive\n\n");
      }
      if (ending === "slow_client" || ending === "shutdown") {
        const farewell =
          ending === "shutdown"
            ? { code: "shutting_down", message: "the api is shutting down; reconnect later" }
            : {
                code: "slow_client",
                message: `more than ${limits.queueMax} events waited for this client; reconnect`,
              };
        await write(
          sseMessage(ending === "shutdown" ? "shutdown" : "dropped", farewell, limits.retryMs),
          FAREWELL_MS,
        );
      }
    } finally {
      unsubscribe();
      if (stuck) connection?.outgoing?.destroy?.();
      options.done(ending ?? "client_gone");
    }
  });
  // A stream's connection is never reused: it closes when the stream ends (a shutdown then has no
  // idle keep-alive connection to wait for).
  response.headers.set("Connection", "close");
  return response;
}

/** Waiting events sent in one write, up to this many characters (one syscall, not one per event). */
const BATCH_CHARS = 16 * 1024;

/** Takes the oldest waiting events, rendered, up to {@link BATCH_CHARS}. */
function takeBatch<E>(queue: Map<string, E>, message: (event: E) => string) {
  let batch = "";
  for (const [key, event] of queue) {
    queue.delete(key);
    batch += message(event);
    if (batch.length >= BATCH_CHARS) break;
  }
  return batch;
}

const eventKey = (event: StreamEvent) =>
  event.event === "quote" ? `q|${event.symbol}` : `b|${event.symbol}|${event.bar.start}`;

/** Each event is rendered once however many clients it goes to (events are shared by the poll). */
const renderedEvents = new WeakMap<StreamEvent, string>();

function rendered(event: StreamEvent, render: (event: StreamEvent) => unknown): string {
  let message = renderedEvents.get(event);
  if (message === undefined) {
    message = sseMessage(event.event, render(event));
    renderedEvents.set(event, message);
  }
  return message;
}

/**
 * One SSE message (`retry:` first when given, so a client learns it even from a short answer).
 *
 * @example
 *   sseMessage("busy", { error: { code: "too_many_streams" } }, 5000);
 */
export function sseMessage(event: string, data: unknown, retryMs?: number): string {
  const retry = retryMs === undefined ? "" : `retry: ${retryMs}\n`;
  return `${retry}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
