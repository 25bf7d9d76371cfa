import type { MiddlewareHandler } from "hono";
import { isLoopbackHost } from "../security.ts";
import { ApiError, echo } from "./errors.ts";

/**
 * Guards a service reachable from a browser: a request whose `Origin` is not allowed (see
 * {@link originAllowed}) is 403, allowed origins get CORS headers (and an answer to their
 * preflight), and writes must be `Content-Type: application/json` (415), so a web page cannot post
 * with a "simple" no-cors request.
 *
 * @example
 *   app.use(browserGuard(new Set(["https://dashboard.example.com"])));
 */
export function browserGuard(allowedOrigins: ReadonlySet<string>): MiddlewareHandler {
  return async function browserGuard(c, next) {
    const origin = c.req.header("origin");
    if (origin !== undefined) {
      if (!originAllowed(origin, c.req.method, c.req.header("host"), allowedOrigins))
        throw new ApiError(
          403,
          "origin_not_allowed",
          `requests from the web origin ${echo(origin)} are not allowed; list it in ALLOWED_ORIGINS`,
        );
      c.header("Access-Control-Allow-Origin", origin);
      c.header("Vary", "Origin");
      if (c.req.method === "OPTIONS") {
        c.header("Access-Control-Allow-Methods", "GET, POST");
        c.header("Access-Control-Allow-Headers", "authorization, content-type");
        c.header("Access-Control-Max-Age", "600");
        return c.body(null, 204);
      }
    }
    if (WRITES.has(c.req.method) && !isJson(c.req.header("content-type")))
      throw new ApiError(
        415,
        "unsupported_media_type",
        "writes must be sent as Content-Type: application/json",
      );
    await next();
  };
}

const WRITES = new Set(["POST", "PUT", "PATCH"]);

function isJson(contentType: string | undefined): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";
}

/**
 * Whether a request from a web page at `origin` may be answered: origins listed in
 * `ALLOWED_ORIGINS`, and the service's own pages (an `Origin` equal to the `Host` it was sent to)
 * for reads, or for writes too when that host is loopback. A page that rebinds its own DNS name to
 * 127.0.0.1 arrives with its own name as `Host`, so it may read what any local process may read
 * but never write.
 */
export function originAllowed(
  origin: string,
  method: string,
  host: string | undefined,
  allowed: ReadonlySet<string>,
): boolean {
  if (allowed.has(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (!host || url.host !== host.toLowerCase()) return false;
  return method === "GET" || method === "HEAD" || isLoopbackHost(url.hostname);
}
