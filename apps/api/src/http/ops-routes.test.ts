import { afterAll, describe, expect, test } from "bun:test";
import { createLogger } from "@repo/platform/log";
import { createJobHistory } from "../ops/job-history.ts";
import { createUpstream } from "../ops/upstream.ts";
import { unitApiApp } from "../testing/unit-api-app.ts";

const log = createLogger("test", "silent");
const OPERATOR = "op-token-0123456789abcdef";
const INGEST_TOKEN = "ingest-token-0123456789";
const auth = { authorization: `Bearer ${OPERATOR}`, "content-type": "application/json" };

/** A local HTTP server answering as ingest's README documents, recording what it was asked. */
const asked: { method: string; url: string; auth: string | null; body: string }[] = [];
let ingestAnswer: (url: URL, method: string) => Response = (url) =>
  Response.json(
    url.pathname === "/calendar"
      ? { open: false, session: null, sessions: [], holidays: [], earlyCloses: [] }
      : url.pathname === "/providers"
        ? { providers: [{ name: "simulator", mode: "poll", paused: false }] }
        : { runs: [], path: url.pathname },
  );
const ingest = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const url = new URL(request.url);
    asked.push({
      method: request.method,
      url: url.pathname + url.search,
      auth: request.headers.get("authorization"),
      body: await request.text(),
    });
    return ingestAnswer(url, request.method);
  },
});
afterAll(() => ingest.stop(true));

function app(options: { ingestUrl?: string; tokens?: string; timeoutMs?: number } = {}) {
  const upstream = (name: string, baseUrl: string) =>
    createUpstream({
      name,
      baseUrl,
      timeoutMs: options.timeoutMs ?? 1000,
      log,
      token: INGEST_TOKEN,
    });
  return unitApiApp({
    tokens: options.tokens ?? `ops:${OPERATOR}`,
    ops: {
      ingest: upstream("ingest", options.ingestUrl ?? `http://127.0.0.1:${ingest.port}`),
      prometheus: upstream("prometheus", options.ingestUrl ?? `http://127.0.0.1:${ingest.port}`),
      job: createJobHistory({ read: async () => null, sampleMs: 1000 }),
    },
  });
}

describe("operations routes (ingest proxied)", () => {
  test("GET /v1/runs passes the validated query to ingest's /runs with the api's token", async () => {
    asked.length = 0;
    const response = await app().request(
      "/v1/runs?provider=simulator&from=2026-12-07T10:00:00Z&limit=5",
    );
    expect(response.status).toBe(200);
    expect(asked[0]).toMatchObject({
      method: "GET",
      url: "/runs?limit=5&provider=simulator&from=2026-12-07T10%3A00%3A00Z",
      auth: `Bearer ${INGEST_TOKEN}`,
    });
  });

  test("bad parameters are 400s naming the field, before ingest is asked", async () => {
    asked.length = 0;
    const bad = await app().request("/v1/runs?provider=Bad!&limit=0&from=yesterday");
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { issues: { path: string }[] } };
    expect(body.error.issues.map((i) => i.path).sort()).toEqual(["from", "limit", "provider"]);
    const backfill = await app().request("/v1/backfills", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        provider: "alpaca",
        symbols: ["AAPL"],
        from: "2026-11-31",
        to: "2026-11-20",
      }),
    });
    expect(backfill.status).toBe(400);
    const issues = ((await backfill.json()) as { error: { issues: { path: string }[] } }).error
      .issues;
    expect(issues.map((i) => i.path)).toContain("from");
    expect(asked).toEqual([]);
  });

  test("a backfill is a dry run unless dryRun is false; an oversized body is a 413", async () => {
    asked.length = 0;
    const job = { provider: "alpaca", symbols: ["aapl"], from: "2026-11-20", to: "2026-11-21" };
    await app().request("/v1/backfills", {
      method: "POST",
      headers: auth,
      body: JSON.stringify(job),
    });
    expect(JSON.parse(asked[0]?.body ?? "{}")).toMatchObject({ dryRun: true, symbols: ["AAPL"] });
    const big = await app().request("/v1/backfills", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ ...job, symbols: Array.from({ length: 3000 }, () => "AAPL") }),
    });
    expect(big.status).toBe(413);
  });

  test("actions need an operator token; ingest's 409 is passed on", async () => {
    const none = await app().request("/v1/providers/simulator/pause", {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe(
      "operator_token_required",
    );
    ingestAnswer = () =>
      Response.json({ error: { code: "provider_paused", message: "paused" } }, { status: 409 });
    const paused = await app().request("/v1/providers/simulator/run", {
      method: "POST",
      headers: auth,
    });
    expect(paused.status).toBe(409);
    expect(((await paused.json()) as { error: { code: string } }).error.code).toBe(
      "provider_paused",
    );
    ingestAnswer = () =>
      Response.json({ error: { code: "invalid_operator_token" } }, { status: 401 });
    const refused = await app().request("/v1/providers/simulator/run", {
      method: "POST",
      headers: auth,
    });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      "ingest_refused_api",
    );
  });

  test("ingest down, failing or too slow is a 503 with a code and no address", async () => {
    const down = await app({ ingestUrl: "http://127.0.0.1:9" }).request("/v1/streams");
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");
    const text = await down.text();
    expect(JSON.parse(text).error.code).toBe("ingest_unavailable");
    expect(text).not.toContain("127.0.0.1");
    ingestAnswer = () => new Response("boom at 10.1.2.3", { status: 500 });
    const failing = await app().request("/v1/runs");
    expect(failing.status).toBe(503);
    expect(await failing.text()).not.toContain("10.1.2.3");
    ingestAnswer = () => new Response("not json");
    expect((await app().request("/v1/backfills")).status).toBe(503);
    const slow = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        new Promise<Response>((resolve) => setTimeout(() => resolve(Response.json({})), 2000)),
    });
    const started = performance.now();
    const timedOut = await app({
      ingestUrl: `http://127.0.0.1:${slow.port}`,
      timeoutMs: 300,
    }).request("/v1/providers");
    expect(timedOut.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(1500);
    slow.stop(true);
  });

  test("firing alerts from Prometheus' /api/v1/alerts (pending ones only counted)", async () => {
    ingestAnswer = () =>
      Response.json({
        status: "success",
        data: {
          alerts: [
            {
              labels: {
                alertname: "MarketpipeServiceDown",
                severity: "critical",
                service: "consumer",
              },
              annotations: { summary: "consumer is down" },
              state: "firing",
              activeAt: "2026-12-07T05:00:00Z",
            },
            { labels: { alertname: "DeadLettersFlowing" }, state: "pending" },
          ],
        },
      });
    const response = await app().request("/v1/alerts/firing");
    expect(await response.json()).toEqual({
      alerts: [
        {
          name: "MarketpipeServiceDown",
          severity: "critical",
          state: "firing",
          activeAt: "2026-12-07T05:00:00Z",
          summary: "consumer is down",
          description: null,
          labels: { alertname: "MarketpipeServiceDown", severity: "critical", service: "consumer" },
        },
      ],
      pending: 1,
    });
    const down = await app({ ingestUrl: "http://127.0.0.1:9" }).request("/v1/alerts/firing");
    expect(((await down.json()) as { error: { code: string } }).error.code).toBe(
      "prometheus_unavailable",
    );
  });

  test("/openapi.json lists every operations route", async () => {
    const doc = (await (await app().request("/openapi.json")).json()) as {
      paths: Record<string, unknown>;
    };
    for (const path of [
      "/v1/runs",
      "/v1/providers",
      "/v1/providers/{name}/run",
      "/v1/providers/{name}/pause",
      "/v1/providers/{name}/resume",
      "/v1/backfills",
      "/v1/backfills/{id}",
      "/v1/streams",
      "/v1/alerts/firing",
      "/v1/streaming-job",
    ])
      expect(doc.paths).toHaveProperty([path]);
  });
});
