import { HTTPException } from "hono/http-exception";
import type { Logger } from "../log.ts";
import { type GaugeSample, type LabelledCounter, serviceMetrics } from "../metrics.ts";
import { DEFAULT_MAX_BODY_BYTES, limitBody } from "./body.ts";
import { ApiError, echo, errorResponse } from "./errors.ts";
import { browserGuard } from "./origin.ts";
import type { Readiness } from "./readiness.ts";
import { ServiceApp } from "./service-app.ts";

/** The HTTP settings of `httpEnv` every service's `main.ts` hands its app ({@link httpLimits}). */
export interface HttpLimits {
  /** `MAX_BODY_BYTES`: larger request bodies are refused with 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /**
   * `ALLOWED_ORIGINS`: browser origins (`https://dashboard.example.com`) that may call this
   * service from a web page; they get CORS headers. Requests carrying any other `Origin` are 403.
   */
  allowedOrigins?: readonly string[];
}

/**
 * What every service's app factory takes besides its own parts: the logger, what `/readyz`
 * answers and the HTTP limits. App factories extend it and pass it on with {@link appBase}.
 */
export interface AppBaseOptions extends HttpLimits {
  log: Logger;
  /** Whether the service can do its job now (see `createReadinessWatch`). */
  readiness: () => Readiness | Promise<Readiness>;
}

export interface ServiceAppOptions extends AppBaseOptions {
  service: string;
  /** Body of `GET /stats`. */
  stats: () => unknown;
  /** Values sampled at each `/metrics` scrape besides the stats registry (e.g. consumer lag). */
  gauges?: () => GaugeSample[];
  /** The service's counters whose last name segments are labels (see `labelledCounter`). */
  counters?: readonly LabelledCounter[];
}

/**
 * `MAX_BODY_BYTES` and `ALLOWED_ORIGINS` of a configuration built with `httpEnv`, as app options;
 * `atMostBytes` caps the body limit for a service whose routes never take more.
 *
 * @example
 *   const app = createProducerApp({ log, readiness: health.readiness, ...httpLimits(config), … });
 */
export function httpLimits(
  config: { MAX_BODY_BYTES: number; ALLOWED_ORIGINS: readonly string[] },
  atMostBytes = Number.POSITIVE_INFINITY,
): Required<HttpLimits> {
  return {
    maxBodyBytes: Math.min(config.MAX_BODY_BYTES, atMostBytes),
    allowedOrigins: config.ALLOWED_ORIGINS,
  };
}

/**
 * The {@link AppBaseOptions} of an app factory's options, to spread into `createServiceApp`.
 *
 * @example
 *   createServiceApp({ ...appBase(options), service: "api", stats: () => apiStats(…) });
 */
export function appBase(options: AppBaseOptions): AppBaseOptions {
  const { log, readiness, maxBodyBytes, allowedOrigins } = options;
  return { log, readiness, maxBodyBytes, allowedOrigins };
}

/**
 * A Hono app with the routes every service has (`/healthz`, `/readyz`, `/stats`, `/metrics` in
 * Prometheus text format from the process's stats registry), JSON errors for everything (including
 * 404 and oversized bodies) and a body size limit. It is safe to reach from a browser on the same
 * machine: a request whose `Origin` is not allowed is 403 (see `originAllowed`), writes must
 * be `Content-Type: application/json` (415), so a web page cannot post with a "simple" no-cors
 * request, and error bodies repeat caller input only in short pieces, never URLs or addresses.
 *
 * @example
 *   const app = createServiceApp({ service: "producer", log, stats: () => snapshot(), readiness });
 *   app.post("/v1/things", async (c) => c.json(await parseJson(c, thingSchema)));
 */
export function createServiceApp(options: ServiceAppOptions): ServiceApp {
  const app = new ServiceApp(options.service);
  app.use(browserGuard(new Set(options.allowedOrigins ?? [])));
  app.use(limitBody(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));
  app.get("/healthz", (c) => c.json({ status: "ok", service: options.service }));
  app.get("/readyz", async (c) => {
    const readiness = await options.readiness();
    return c.json(
      { ...readiness, service: options.service },
      readiness.ready && !app.draining ? 200 : 503,
    );
  });
  app.get("/stats", (c) => c.json(options.stats() as object));
  const metrics = serviceMetrics({
    service: options.service,
    gauges: options.gauges,
    counters: options.counters,
  });
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
