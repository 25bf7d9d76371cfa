import { type ServerType, serve } from "@hono/node-server";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import type { Logger } from "./log.ts";
import { type GaugeSample, serviceMetrics } from "./metrics.ts";
import { isLoopbackHost } from "./security.ts";

/** One problem with a request, located by a JSON path such as `records[3].value.price`. */
export interface FieldIssue {
  path: string;
  message: string;
  index?: number;
}

/**
 * An error meant for the caller: rendered as `{"error":{"code","message",...details}}`.
 *
 * @example
 *   throw new ApiError(404, "unknown_topic", `topic "${name}" is not declared`);
 */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message });
  }
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface ServiceAppOptions {
  service: string;
  log: Logger;
  /** Body of `GET /stats`. */
  stats: () => unknown;
  /** Whether the service can do its job now (dependencies reachable). */
  readiness: () => Readiness | Promise<Readiness>;
  maxBodyBytes?: number;
  /** Values sampled at each `/metrics` scrape besides the stats registry (e.g. consumer lag). */
  gauges?: () => GaugeSample[];
  /**
   * Browser origins (`https://dashboard.example.com`, from `ALLOWED_ORIGINS`) that may call this
   * service from a web page; they get CORS headers. Requests carrying any other `Origin` are 403.
   */
  allowedOrigins?: readonly string[];
}

/**
 * A Hono app that knows the requests it is answering, so a graceful shutdown can refuse new ones
 * ({@link ServiceApp.drain}) and wait for the accepted ones ({@link ServiceApp.settled}) before
 * the service closes its clients. {@link createServiceApp} builds one with the shared routes.
 *
 * @example
 *   app.drain();
 *   await app.settled(10_000); // then close Kafka, Cassandra…
 */
export class ServiceApp extends Hono {
  #draining = false;
  #active = 0;
  readonly #idle = new Set<() => void>();

  constructor(readonly service: string) {
    super();
    this.use(async (c, next) => {
      if (this.#draining && c.req.path !== "/healthz") {
        throw new ApiError(
          503,
          "shutting_down",
          `${service} is shutting down`,
          {},
          { "Retry-After": "5", Connection: "close" },
        );
      }
      this.#active += 1;
      try {
        await next();
        // Answered during a shutdown: the client must not reuse the connection, or an idle
        // keep-alive connection would hold the server's close until the grace runs out.
        if (this.#draining) c.header("Connection", "close");
      } finally {
        this.#active -= 1;
        if (this.#active === 0) for (const notify of this.#idle) notify();
      }
    });
  }

  /** Whether the app refuses new requests (after {@link drain}). */
  get draining(): boolean {
    return this.#draining;
  }

  /** Makes the app answer 503 to everything but `/healthz` (graceful shutdown). */
  drain(): void {
    this.#draining = true;
  }

  /**
   * Resolves once every request the app accepted has been answered, or after `timeoutMs`
   * (true when all were answered).
   */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.#active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (answered: boolean) => {
        clearTimeout(timer);
        this.#idle.delete(notify);
        resolve(answered);
      };
      const notify = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#idle.add(notify);
    });
  }
}

/**
 * A Hono app with the routes every service has (`/healthz`, `/readyz`, `/stats`, `/metrics` in
 * Prometheus text format from the process's stats registry), JSON errors for everything (including
 * 404 and oversized bodies) and a body size limit. It is safe to reach from a browser on the same
 * machine: a request whose `Origin` is not allowed is 403 (see {@link originAllowed}), writes must
 * be `Content-Type: application/json` (415), so a web page cannot post with a "simple" no-cors
 * request, and error bodies repeat caller input only in short pieces, never URLs or addresses.
 *
 * @example
 *   const app = createServiceApp({ service: "producer", log, stats: () => snapshot(), readiness });
 *   app.post("/v1/things", async (c) => c.json(await parseJson(c, thingSchema)));
 */
export function createServiceApp(options: ServiceAppOptions): ServiceApp {
  const app = new ServiceApp(options.service);
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  app.use(async (c, next) => {
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
  });
  app.use(
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 1024 * 1024,
      onError: () => {
        throw new ApiError(
          413,
          "body_too_large",
          `request body exceeds ${options.maxBodyBytes ?? 1024 * 1024} bytes`,
          {
            limitBytes: options.maxBodyBytes ?? 1024 * 1024,
          },
          // The unread rest of the body makes the connection unusable for a next request.
          { Connection: "close" },
        );
      },
    }),
  );
  app.get("/healthz", (c) => c.json({ status: "ok", service: options.service }));
  app.get("/readyz", async (c) => {
    const readiness = await options.readiness();
    return c.json(
      { ...readiness, service: options.service },
      readiness.ready && !app.draining ? 200 : 503,
    );
  });
  app.get("/stats", (c) => c.json(options.stats() as object));
  const metrics = serviceMetrics({ service: options.service, gauges: options.gauges });
  app.get("/metrics", async (c) =>
    c.body(await metrics.render(), 200, { "content-type": metrics.contentType }),
  );
  app.notFound((c) =>
    errorResponse(
      c,
      new ApiError(404, "not_found", `no route for ${c.req.method} ${echo(c.req.path)}`),
    ),
  );
  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error);
    if (error instanceof HTTPException)
      return errorResponse(c, new ApiError(error.status, "http_error", error.message));
    options.log.error({ err: error, path: c.req.path }, "unhandled error");
    return errorResponse(
      c,
      new ApiError(500, "internal_error", "internal error; see the service log"),
    );
  });
  return app;
}

function errorResponse(c: Context, error: ApiError) {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json(
    scrub({ error: { code: error.code, message: error.message, ...error.details } }) as object,
    error.status,
  );
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

/** Longest piece of caller input an error message repeats. */
export const MAX_ECHO_CHARS = 64;

/**
 * Caller input for an error message: quoted, at most {@link MAX_ECHO_CHARS} characters.
 *
 * @example
 *   throw new ApiError(404, "unknown_topic", `topic ${echo(name)} is not declared`);
 */
export function echo(value: string): string {
  const shown = value.length > MAX_ECHO_CHARS ? `${value.slice(0, MAX_ECHO_CHARS)}…` : value;
  return JSON.stringify(shown);
}

const QUOTED = /"((?:[^"\\]|\\.){64})(?:[^"\\]|\\.)+"/g;
const URL_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>]+/gi;
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g;

/**
 * The last line of defence for error bodies: quoted input cut to {@link MAX_ECHO_CHARS}, messages
 * cut to 512 characters and every other string (paths, topics, subjects) to
 * {@link MAX_ECHO_CHARS}, URLs and IP addresses replaced, so a message built from a driver's error
 * or a client's value cannot leak an internal host or repeat a whole request.
 */
function scrub(value: unknown, key = "", depth = 0): unknown {
  if (typeof value === "string") {
    const clean = value
      .replace(QUOTED, '"$1…"')
      .replace(URL_TEXT, "<url>")
      .replace(IPV4, "<address>");
    const limit = key === "message" ? 512 : MAX_ECHO_CHARS;
    return clean.length > limit ? `${clean.slice(0, limit)}…` : clean;
  }
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, key, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([name, item]) => [name, scrub(item, name, depth + 1)]),
  );
}

/**
 * Reads a JSON body and validates it with zod. Malformed JSON → 400 `malformed_json`; a shape error →
 * 400 `invalid_request` naming each field and reason.
 */
export async function parseJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let body: unknown;
  const text = await c.req.text();
  if (text.trim() === "")
    throw new ApiError(400, "empty_body", "request body is empty; expected JSON");
  try {
    body = JSON.parse(text);
  } catch (error) {
    // Parsers quote the offending input in their messages; say where, not what.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new ApiError(
      400,
      "malformed_json",
      `request body is not valid JSON${position ? ` (at character ${position})` : ""}`,
    );
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({
      path: formatPath(i.path),
      message: i.message,
    }));
    throw new ApiError(400, "invalid_request", describeIssues(issues), { issues });
  }
  return result.data;
}

/** `["records", 3, "value", "price"]` → `records[3].value.price`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) =>
      typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`,
    )
    .join("");
}

export function describeIssues(issues: FieldIssue[]): string {
  const first = issues.slice(0, 3).map((i) => `${i.path || "(body)"}: ${i.message}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : "";
  return `${first.join("; ")}${more}`;
}

/**
 * Serves the app on host:port (Node or Bun) and wires SIGTERM/SIGINT to `shutdown`, which must
 * finish within `graceMs` or the process exits non-zero.
 */
export function startServer(options: {
  app: ServiceApp;
  host: string;
  port: number;
  log: Logger;
  shutdown: () => Promise<void>;
  graceMs?: number;
}): ServerType {
  const server = serve(
    { fetch: options.app.fetch, hostname: options.host, port: options.port },
    (info) => options.log.info({ host: options.host, port: info.port }, "listening"),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    options.log.info({ signal }, "shutting down");
    options.app.drain();
    const graceMs = options.graceMs ?? 15_000;
    const timer = setTimeout(() => {
      options.log.error({ graceMs }, "shutdown timed out");
      process.exit(1);
    }, graceMs);
    try {
      // Requests already accepted finish against live dependencies before those are closed.
      if (!(await options.app.settled(graceMs / 2)))
        options.log.warn("requests still open after half the grace period; closing anyway");
      await options.shutdown();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      clearTimeout(timer);
      options.log.info("stopped");
      process.exit(0);
    } catch (error) {
      options.log.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  return server;
}
