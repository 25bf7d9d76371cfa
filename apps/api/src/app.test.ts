import { describe, expect, test } from "bun:test";
import { PipelineError } from "@repo/platform/errors";
import { parseExposition } from "@repo/platform/exposition";
import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import { createApiApp } from "./app.ts";
import type { MarketReader } from "./market/reader.ts";
import { createMarketStream } from "./stream/market-stream.ts";

const log = createLogger("test", "silent");

function app(reader: Partial<MarketReader>) {
  const stats = createStats();
  const full = reader as MarketReader;
  return createApiApp({
    log,
    stats,
    reader: full,
    stream: createMarketStream({ source: full, pollMs: 1000, log, stats }),
    maxStreamClients: 0,
    pipeline: async () => [{ service: "consumer", url: "http://x", ok: false, error: "down" }],
    readiness: () => ({ ready: true, checks: {} }),
    cassandraConnected: () => true,
    dashboardDir: "/nonexistent",
  });
}

describe("api edge without Cassandra", () => {
  test("a Cassandra outage is a 503 with Retry-After, not a 500", async () => {
    const response = await app({
      symbols: () => Promise.reject(new Error("All host(s) tried for query failed")),
    }).request("/v1/symbols");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect(await response.json()).toMatchObject({ error: { code: "store_unavailable" } });
  });

  test("a failure retrying cannot fix stays a 500", async () => {
    const response = await app({
      symbols: () => Promise.reject(new PipelineError("corrupt row", { retriable: false })),
    }).request("/v1/symbols");
    expect(response.status).toBe(500);
  });

  test("streams beyond API_STREAM_MAX_CLIENTS are refused with 503", async () => {
    const response = await app({}).request("/v1/stream");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { code: "too_many_streams" } });
  });

  test("an unbuilt dashboard says how to build it", async () => {
    const response = await app({}).request("/");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: { code: "dashboard_not_built" } });
  });

  test("/v1/pipeline reports an unreachable service instead of failing", async () => {
    const response = await app({}).request("/v1/pipeline");
    expect(await response.json()).toEqual({
      services: [{ service: "consumer", url: "http://x", ok: false, error: "down" }],
    });
  });

  test("/metrics carries the api's request histogram and stream gauge", async () => {
    const api = app({ symbols: async () => [] });
    await api.request("/v1/symbols");
    const families = parseExposition(await (await api.request("/metrics")).text());
    expect(families.get("marketpipe_api_request_latency_seconds")?.type).toBe("histogram");
    expect(families.get("marketpipe_api_stream_clients")?.type).toBe("gauge");
  });
});
