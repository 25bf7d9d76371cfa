import { afterAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { OpenAPIHono } from "@hono/zod-openapi";
import { createServiceApp } from "@repo/platform/http";
import { createLogger } from "@repo/platform/log";
import { createAlertFeed } from "../analytics/alert-feed.ts";
import { createAnalyticsUpstream } from "../analytics/upstream.ts";
import { createStreamAdmission } from "../stream/admission.ts";
import { mountAnalyticsRoutes } from "./analytics-routes.ts";

const log = createLogger("test", "silent");
const servers: Server[] = [];
afterAll(() => {
  for (const server of servers) server.close();
});

/** A local HTTP server standing in for analytics that answers with `answer` (or never, when undefined). */
async function analyticsAt(answer?: (res: import("node:http").ServerResponse) => void) {
  const server = createServer((_req, res) => answer?.(res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function app(baseUrl: string) {
  const service = createServiceApp({
    service: "api",
    log,
    stats: () => ({}),
    readiness: () => ({ ready: true, checks: {} }) as never,
  });
  const api = new OpenAPIHono();
  mountAnalyticsRoutes(api, {
    log,
    analytics: createAnalyticsUpstream({ baseUrl, timeoutMs: 300, log }),
    alerts: createAlertFeed({ baseUrl, connectTimeoutMs: 300, log }),
    operatorTokens: [],
    streams: {
      admission: createStreamAdmission({ maxClients: 2, maxPerClient: 2 }),
      limits: { queueMax: 10, writeTimeoutMs: 1000, retryMs: 1000 },
    },
    connectTimeoutMs: 300,
  });
  service.route("/", api);
  return service;
}

describe("analytics routes when analytics misbehaves", () => {
  test("analytics that never answers is a 503 analytics_unavailable after the timeout, naming no address", async () => {
    const base = await analyticsAt();
    const started = performance.now();
    const answer = await app(base).request("/v1/indicators/AAPL?names=sma20");
    expect(answer.status).toBe(503);
    expect(answer.headers.get("retry-after")).toBe("5");
    const text = await answer.text();
    expect(JSON.parse(text).error.code).toBe("analytics_unavailable");
    expect(text).not.toContain("127.0.0.1");
    expect(performance.now() - started).toBeLessThan(3_000);
    const stream = await app(base).request("/v1/alerts/stream");
    expect(stream.status).toBe(503);
  });

  test("analytics answering HTML or a 500 is a 503 analytics_unavailable", async () => {
    const html = await analyticsAt((res) => res.writeHead(200).end("<html>proxy</html>"));
    expect((await app(html).request("/v1/alerts/rules")).status).toBe(503);
    const failing = await analyticsAt((res) =>
      res.writeHead(500, { "content-type": "application/json" }).end('{"error":{}}'),
    );
    const answer = await app(failing).request("/v1/alerts");
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe(
      "analytics_unavailable",
    );
  });
});
