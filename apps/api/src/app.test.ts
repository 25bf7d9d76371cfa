import { describe, expect, test } from "bun:test";
import { PipelineError } from "@repo/platform/errors";
import { parseExposition } from "@repo/platform/exposition";
import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import { parseBearerTokens } from "@repo/platform/tokens";
import { createApiApp } from "./app.ts";
import { createCursorCodec } from "./market/cursor.ts";
import type { MarketReader } from "./market/reader.ts";
import type { ServiceHealth } from "./pipeline/health.ts";
import { createStreamAdmission } from "./stream/admission.ts";
import { idleFeed } from "./stream/feed.ts";
import { createMarketStream } from "./stream/market-stream.ts";

const log = createLogger("test", "silent");
const OPERATOR = "op-token-0123456789abcdef";

const services: ServiceHealth[] = [
  {
    service: "producer",
    url: "http://10.1.2.3:3002",
    ok: true,
    state: "up",
    stats: {
      records: { accepted: 5, delivered: 5 },
      auth: { tokens: ["ingest-secret-name"] },
      kafka: { brokers: "10.1.2.4:9092" },
    },
  },
  {
    service: "consumer",
    url: "http://10.1.2.3:3003",
    ok: false,
    state: "down",
    error: "unreachable: connect ECONNREFUSED 10.1.2.3:3003",
  },
];

function app(reader: Partial<MarketReader>, maxClients = 0) {
  const stats = createStats();
  const full = reader as MarketReader;
  const stream = createMarketStream({ source: full, feed: idleFeed, log, stats });
  const admission = createStreamAdmission({ maxClients, maxPerClient: 10 });
  const api = createApiApp({
    log,
    stats,
    reader: full,
    stream,
    admission,
    streamLimits: { queueMax: 10, writeTimeoutMs: 1000, retryMs: 7000 },
    cursors: createCursorCodec({ key: Buffer.alloc(32, 1), ttlMs: 60_000 }),
    operatorTokens: parseBearerTokens(`ops:${OPERATOR}`).tokens,
    pipeline: async () => services,
    readiness: () => ({ ready: true, checks: {} }),
    cassandraConnected: () => true,
    dashboardDir: "/nonexistent",
  });
  return Object.assign(api, { stream, admission });
}

describe("api edge (no Cassandra: unit checks of the HTTP rules)", () => {
  test("a Cassandra failure is a 503 store_unavailable with Retry-After and none of the driver's text", async () => {
    const response = await app({
      symbols: () =>
        Promise.reject(new Error("All host(s) tried for query failed (tried: 10.0.0.9:9042)")),
    }).request("/v1/symbols");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    const body = await response.text();
    expect(JSON.parse(body)).toMatchObject({ error: { code: "store_unavailable" } });
    expect(body).not.toMatch(/host|tried|9042|address/i);
  });

  test("a failure retrying cannot fix stays a 500", async () => {
    const response = await app({
      symbols: () => Promise.reject(new PipelineError("corrupt row", { retriable: false })),
    }).request("/v1/symbols");
    expect(response.status).toBe(500);
  });

  test("HEAD /v1/stream answers the stream's headers without taking a slot", async () => {
    const api = app({ latest: async () => [] }, 1);
    for (let i = 0; i < 5; i += 1) {
      const response = await api.request("/v1/stream", { method: "HEAD" });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/event-stream");
    }
    expect(api.admission.open()).toBe(0);
    expect(api.stream.clients()).toBe(0);
  });

  test("beyond the cap a plain client gets 503 with Retry-After, an EventSource a busy event with retry:", async () => {
    const api = app({});
    const plain = await api.request("/v1/stream");
    expect(plain.status).toBe(503);
    expect(plain.headers.get("retry-after")).toBe("7");
    expect(await plain.json()).toMatchObject({ error: { code: "too_many_streams" } });
    const eventSource = await api.request("/v1/stream", {
      headers: { accept: "text/event-stream" },
    });
    expect(eventSource.status).toBe(200);
    expect(await eventSource.text()).toStartWith("retry: 7000\nevent: busy\n");
  });

  test("an unbuilt dashboard says how to build it", async () => {
    const response = await app({}).request("/");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { code: "dashboard_not_built" } });
  });

  test("/v1/pipeline shows names, states and dashboard figures only, unless an operator token is presented", async () => {
    const api = app({});
    const anonymous = await api.request("/v1/pipeline");
    const text = await anonymous.text();
    expect(JSON.parse(text)).toEqual({
      services: [
        {
          service: "producer",
          ok: true,
          state: "up",
          stats: { records: { accepted: 5, delivered: 5 } },
        },
        { service: "consumer", ok: false, state: "down" },
      ],
    });
    expect(text).not.toMatch(/10\.1\.2|ingest-secret-name|http:/);
    const wrong = await api.request("/v1/pipeline", {
      headers: { authorization: "Bearer not-the-operator-token" },
    });
    expect(await wrong.text()).toBe(text);
    const operator = await api.request("/v1/pipeline", {
      headers: { authorization: `Bearer ${OPERATOR}` },
    });
    expect(await operator.json()).toEqual({ services });
  });

  test("/metrics carries the api's request histogram and stream gauge", async () => {
    const api = app({ symbols: async () => [] });
    await api.request("/v1/symbols");
    const families = parseExposition(await (await api.request("/metrics")).text());
    expect(families.get("marketpipe_api_request_latency_seconds")?.type).toBe("histogram");
    expect(families.get("marketpipe_api_stream_clients")?.type).toBe("gauge");
  });
});
