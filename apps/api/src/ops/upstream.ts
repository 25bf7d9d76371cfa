import { ApiError } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import type { Context } from "hono";

/** Largest upstream answer read (1,000 runs fit in well under this). */
export const MAX_UPSTREAM_BYTES = 8 * 1024 * 1024;

export interface UpstreamOptions {
  /** What the service is called in error codes and logs (`ingest` → `ingest_unavailable`). */
  name: string;
  baseUrl: string;
  timeoutMs: number;
  log: Logger;
  /** Sent as `Authorization: Bearer <token>` on every request when set. */
  token?: string;
  fetch?: typeof fetch;
}

export interface UpstreamAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * A JSON client of one upstream service (ingest, Prometheus) that never leaks where it lives: a
 * refused connection, a timeout, an oversized or non-JSON answer or a 5xx become a 503
 * `<name>_unavailable` (details only in the log); a 4xx answer is passed on as it came.
 *
 * @example
 *   const ingest = createUpstream({ name: "ingest", baseUrl: "http://127.0.0.1:3001", timeoutMs: 5000, log });
 *   const { status, body } = await ingest.request("GET", "/runs?limit=10");
 */
export function createUpstream(options: UpstreamOptions) {
  const base = options.baseUrl.replace(/\/$/, "");
  const send = options.fetch ?? fetch;
  const unavailable = (reason: string, detail: Record<string, unknown> = {}): never => {
    options.log.warn({ upstream: options.name, reason, ...detail }, "upstream request failed");
    throw new ApiError(
      503,
      `${options.name}_unavailable`,
      `${options.name} is unavailable; retry later`,
      {},
      { "Retry-After": "5" },
    );
  };
  return {
    async request(method: string, path: string, body?: unknown): Promise<UpstreamAnswer> {
      const headers: Record<string, string> = { accept: "application/json" };
      if (method !== "GET") headers["content-type"] = "application/json";
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let response: Response;
      try {
        response = await send(`${base}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(options.timeoutMs),
          redirect: "error",
        });
      } catch (error) {
        return unavailable((error as Error).name === "TimeoutError" ? "timeout" : "unreachable", {
          err: error,
          path,
        });
      }
      const text = await readBounded(response, options.timeoutMs).catch((error: Error) =>
        unavailable(error.message, { path, status: response.status }),
      );
      if (response.status >= 500) unavailable(`answered ${response.status}`, { path });
      try {
        return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
      } catch {
        return unavailable("answered something other than JSON", { path, status: response.status });
      }
    },
  };
}

export type Upstream = ReturnType<typeof createUpstream>;

/**
 * An upstream's answer passed on as it came, except its refusal (401, 403) of the api's own
 * credentials: that is the api's misconfiguration, logged naming `tokenVariable`, and answered 503
 * `<name>_refused_api` (the caller can do nothing about it).
 *
 * @example
 *   return relayAnswer(c, await ingest.request("GET", "/runs"), { name: "ingest", tokenVariable: "INGEST_OPERATOR_TOKEN", log });
 */
export function relayAnswer(
  c: Context,
  answer: UpstreamAnswer,
  upstream: { name: string; tokenVariable: string; log: Logger },
): never {
  if (answer.status === 401 || answer.status === 403) {
    upstream.log.error(
      { status: answer.status, code: (answer.body.error as { code?: string })?.code },
      `${upstream.name} refused the api's operator action: check ${upstream.tokenVariable}`,
    );
    throw new ApiError(
      503,
      `${upstream.name}_refused_api`,
      `${upstream.name} refused the api's credentials (${upstream.tokenVariable}); tell the operator`,
    );
  }
  return c.json(answer.body, answer.status as 200) as never;
}

async function readBounded(response: Response, timeoutMs: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > MAX_UPSTREAM_BYTES) {
    await response.body?.cancel();
    throw new Error(`answer of ${declared} bytes`);
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const timer = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_UPSTREAM_BYTES) {
        await reader.cancel();
        throw new Error(`answer over ${MAX_UPSTREAM_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
