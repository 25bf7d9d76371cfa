import type { Logger } from "@repo/platform/log";
import { backoffDelay, sleep } from "@repo/platform/retry";

/** What the feed hands its subscribers: a firing, or analytics' stream going down or (back) up. */
export type AlertFeedEvent =
  | { event: "alert"; id: string; data: unknown }
  | { event: "analytics"; id: string; data: { state: "up" | "down" } };

export interface AlertFeedOptions {
  /** Analytics' base URL (ANALYTICS_URL). */
  baseUrl: string;
  log: Logger;
  /** Longest wait for analytics to answer the stream request. */
  connectTimeoutMs: number;
  /** Reconnect backoff bounds (jittered, exponential). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Longest silence (analytics sends a keepalive every 15 s) before the connection counts as lost. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
}

interface Handlers {
  send: (event: AlertFeedEvent) => void;
  end: () => void;
}

/** Largest SSE message kept while waiting for its end (an alert is well under 2 KiB). */
const MAX_MESSAGE_CHARS = 256 * 1024;

/**
 * One SSE connection to analytics' `GET /v1/alerts/stream`, shared by every api client of
 * `/v1/alerts/stream`: opened when the first client subscribes, closed when the last leaves, and
 * reopened with jittered backoff while clients remain (each gets an `analytics` event `down`, then
 * `up`, so a client knows to re-read `/v1/alerts` for what it may have missed).
 *
 * @example
 *   const feed = createAlertFeed({ baseUrl: "http://127.0.0.1:3005", log, connectTimeoutMs: 5000 });
 *   const leave = feed.subscribe({ send: (e) => console.log(e), end: () => {} });
 *   if (!(await feed.ready(2000))) leave();
 */
export function createAlertFeed(options: AlertFeedOptions) {
  const base = options.baseUrl.replace(/\/$/, "");
  const send = options.fetch ?? fetch;
  const idleTimeoutMs = options.idleTimeoutMs ?? 40_000;
  const subscribers = new Set<Handlers>();
  const waiters = new Set<() => void>();
  let up = false;
  let running: AbortController | undefined;
  let closed = false;

  const broadcast = (event: AlertFeedEvent) => {
    for (const handlers of subscribers) handlers.send(event);
  };
  const setUp = (state: boolean) => {
    if (state === up) return;
    up = state;
    broadcast({
      event: "analytics",
      id: `state|${Date.now()}`,
      data: { state: up ? "up" : "down" },
    });
    if (up) for (const wake of waiters) wake();
  };

  async function connectOnce(signal: AbortSignal) {
    // The timeout bounds the wait for the answer's head only: the stream itself lasts.
    const connection = new AbortController();
    const abort = () => connection.abort();
    signal.addEventListener("abort", abort, { once: true });
    const timer = setTimeout(abort, options.connectTimeoutMs);
    let response: Response;
    try {
      response = await send(`${base}/v1/alerts/stream`, {
        headers: { accept: "text/event-stream" },
        signal: connection.signal,
        redirect: "error",
      });
    } finally {
      clearTimeout(timer);
    }
    try {
      await readStream(response);
    } finally {
      signal.removeEventListener("abort", abort);
      connection.abort();
    }
  }

  async function readStream(response: Response) {
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel();
      throw new Error(`answered ${response.status}`);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const chunk = await Promise.race([
        reader.read(),
        new Promise<"idle">((resolve) => {
          timer = setTimeout(() => resolve("idle"), idleTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (chunk === "idle") {
        await reader.cancel().catch(() => {});
        throw new Error(`silent for ${idleTimeoutMs} ms`);
      }
      if (chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, "\n");
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const message = parseMessage(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (message.event === "ready") setUp(true);
        else if (message.event === "alert" && message.data !== undefined)
          broadcast({ event: "alert", id: message.id ?? "", data: JSON.parse(message.data) });
        else if (message.event === "shutdown" || message.event === "dropped") {
          await reader.cancel().catch(() => {});
          throw new Error(`analytics ended the stream (${message.event})`);
        }
      }
      if (buffer.length > MAX_MESSAGE_CHARS) throw new Error("an SSE message over 256 KiB");
    }
  }

  async function run(controller: AbortController) {
    for (let attempt = 0; !controller.signal.aborted; attempt += 1) {
      try {
        await connectOnce(controller.signal);
        attempt = 0;
      } catch (error) {
        if (controller.signal.aborted) break;
        options.log.warn(
          { upstream: "analytics", reason: (error as Error).message, attempt },
          "alert stream from analytics lost; reconnecting",
        );
      }
      setUp(false);
      await sleep(
        backoffDelay(attempt, {
          minDelayMs: options.minDelayMs ?? 250,
          maxDelayMs: options.maxDelayMs ?? 10_000,
        }),
        controller.signal,
      );
    }
    setUp(false);
  }

  return {
    /** Adds a client; the returned function removes it (the connection closes with the last one). */
    subscribe(handlers: Handlers): () => void {
      if (closed) {
        handlers.end();
        return () => {};
      }
      subscribers.add(handlers);
      if (!running) {
        running = new AbortController();
        void run(running);
      }
      return () => {
        subscribers.delete(handlers);
        if (subscribers.size === 0 && running) {
          running.abort();
          running = undefined;
          up = false;
        }
      };
    },
    /** Resolves true once analytics' stream is open (its `ready` read), false after `timeoutMs`. */
    ready(timeoutMs: number): Promise<boolean> {
      if (up) return Promise.resolve(true);
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(true);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          resolve(false);
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    connected: () => up,
    subscribers: () => subscribers.size,
    /** Ends every client's stream (`shutdown`) and the connection to analytics. */
    close() {
      closed = true;
      running?.abort();
      running = undefined;
      for (const handlers of [...subscribers]) handlers.end();
      subscribers.clear();
    },
  };
}

export type AlertFeed = ReturnType<typeof createAlertFeed>;

/**
 * One SSE message block (its lines, without the blank line that ends it) as event, id and data.
 *
 * @example
 *   parseMessage("id: r|1|cross_up\nevent: alert\ndata: {}"); // { event: "alert", id: "r|1|cross_up", data: "{}" }
 */
export function parseMessage(block: string): { event: string; id?: string; data?: string } {
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "id") id = value;
    else if (field === "data") data.push(value);
  }
  return { event, id, data: data.length > 0 ? data.join("\n") : undefined };
}
