import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { Logger } from "../log.ts";
import { type GaugeSample, serviceMetrics } from "../metrics.ts";
import { ApiError, echo, errorResponse } from "./errors.ts";
import { browserGuard } from "./origin.ts";
import type { Readiness } from "./readiness.ts";
import { ServiceApp } from "./service-app.ts";

export interface ServiceAppOptions {
  service: string;
  log: Logger;
  /** Body of `GET /stats`. */
  stats: () => unknown;
  /** Whether the service can do its job now (see `createReadinessWatch`). */
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
