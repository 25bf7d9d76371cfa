import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { isRetriable, PipelineError, retryAfter } from "./errors.ts";
import {
  ApiError,
  appBase,
  createServiceApp,
  echo,
  formatPath,
  httpLimits,
  originAllowed,
  parseJson,
} from "./http.ts";
import { createLogger } from "./log.ts";

function app(ready = true) {
  const service = createServiceApp({
    service: "test",
    log: createLogger("test", "silent"),
    stats: () => ({ service: "test", n: 1 }),
    readiness: () => ({ ready, checks: { kafka: { ok: ready } } }),
    maxBodyBytes: 64,
  });
  service.post("/things", async (c) =>
    c.json(await parseJson(c, z.object({ name: z.string().min(1) }))),
  );
  service.get("/teapot", () => {
    throw new ApiError(418, "teapot", "short and stout", { spout: true });
  });
  service.get("/boom", () => {
    throw new Error("secret internals");
  });
  return service;
}

const post = (body: string) =>
  app().request("/things", {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });

describe("service app", () => {
  test("healthz, readyz and stats answer", async () => {
    expect((await app().request("/healthz")).status).toBe(200);
    expect(await (await app().request("/stats")).json()).toEqual({ service: "test", n: 1 });
    const notReady = await app(false).request("/readyz");
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ ready: false, checks: { kafka: { ok: false } } });
  });

  test("malformed JSON is a 400 naming the problem", async () => {
    const response = await post("{nope");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "malformed_json" } });
  });

  test("an empty body is a 400", async () => {
    const response = await post("");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: "empty_body" } });
  });

  test("a wrong field is a 400 naming the field and reason", async () => {
    const response = await post(JSON.stringify({ name: 5 }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.issues[0]?.path).toBe("name");
  });

  test("an oversized body is a 413", async () => {
    const response = await post(JSON.stringify({ name: "x".repeat(200) }));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      error: { code: "body_too_large", limitBytes: 64 },
    });
  });

  test("MAX_BODY_BYTES from the configuration limits every route of an app built with httpLimits", async () => {
    const config = { MAX_BODY_BYTES: 100, ALLOWED_ORIGINS: [] };
    expect(httpLimits(config, 50).maxBodyBytes).toBe(50);
    const limited = createServiceApp({
      ...appBase({
        log: createLogger("test", "silent"),
        readiness: () => ({ ready: true, checks: {} }),
        ...httpLimits(config),
      }),
      service: "test",
      stats: () => ({}),
    });
    limited.post("/things", async (c) => c.json({ length: (await c.req.text()).length }));
    const send = (bytes: number) =>
      limited.request("/things", {
        method: "POST",
        body: "x".repeat(bytes),
        headers: { "content-type": "application/json" },
      });
    expect(await (await send(100)).json()).toEqual({ length: 100 });
    const refused = await send(101);
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({
      error: { code: "body_too_large", limitBytes: 100 },
    });
  });

  test("unknown routes are JSON 404s and typed errors keep their status and details", async () => {
    expect(await (await app().request("/nowhere")).json()).toMatchObject({
      error: { code: "not_found" },
    });
    const teapot = await app().request("/teapot");
    expect(teapot.status).toBe(418);
    expect(await teapot.json()).toEqual({
      error: { code: "teapot", message: "short and stout", spout: true },
    });
  });

  test("an ApiError is in the error tree: a 4xx is final, 408/429/5xx retriable, Retry-After read", () => {
    const refused = new ApiError(400, "invalid_parameter", "limit: too big");
    expect(refused).toBeInstanceOf(PipelineError);
    expect(isRetriable(refused)).toBe(false);
    for (const status of [408, 429, 500, 503] as const)
      expect(isRetriable(new ApiError(status, "x", "y"))).toBe(true);
    const busy = new ApiError(503, "store_unavailable", "retry later", {}, { "Retry-After": "5" });
    expect(retryAfter(busy)).toBe(5_000);
    expect(retryAfter(refused)).toBeUndefined();
  });

  test("unexpected errors are a 500 without internals", async () => {
    const response = await app().request("/boom");
    expect(response.status).toBe(500);
    expect(JSON.stringify(await response.json())).not.toContain("secret internals");
  });

  test("a draining app answers 503 with Retry-After but stays healthy", async () => {
    const service = app();
    service.drain();
    const response = await service.request("/things", { method: "POST", body: "{}" });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect((await service.request("/healthz")).status).toBe(200);
  });

  test("settled waits for requests accepted before the drain, so they finish against live dependencies", async () => {
    const service = app();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    service.get("/slow", async (c) => {
      await gate;
      return c.json({ done: true });
    });
    const slow = service.request("/slow");
    await Bun.sleep(5);
    service.drain();
    let answered = false;
    const waiting = service.settled(5_000).then((all) => {
      answered = true;
      return all;
    });
    await Bun.sleep(20);
    expect(answered).toBe(false);
    release();
    expect(await waiting).toBe(true);
    expect((await slow).status).toBe(200);
    expect(await service.settled(10)).toBe(true);
  });

  test("paths are rendered the way callers write them", () => {
    expect(formatPath(["records", 3, "value", "price"])).toBe("records[3].value.price");
  });
});

describe("browser-safe edge", () => {
  const site = "https://board.example.com";
  const service = () => {
    const edge = createServiceApp({
      service: "test",
      log: createLogger("test", "silent"),
      stats: () => ({}),
      readiness: () => ({ ready: true, checks: {} }),
      allowedOrigins: [site],
    });
    edge.post("/things", async (c) =>
      c.json(await parseJson(c, z.object({ name: z.string().min(1) }).strict())),
    );
    edge.get("/fail", () => {
      throw new ApiError(
        503,
        "registry_unavailable",
        "fetch http://registry.internal:8081/x failed: connect ECONNREFUSED 10.1.2.3:8081",
      );
    });
    return edge;
  };

  test("a page's no-cors text/plain post is refused with 415 before anything reads it", async () => {
    const response = await service().request("/things", {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8", host: "127.0.0.1:3002" },
      body: '{"name":"forged"}',
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ error: { code: "unsupported_media_type" } });
    const none = await service().request("/things", { method: "POST", body: '{"name":"x"}' });
    expect(none.status).toBe(415);
  });

  test("JSON with a charset parameter is a write like any other", async () => {
    const response = await service().request("/things", {
      method: "POST",
      headers: { "content-type": "Application/JSON; charset=utf-8" },
      body: '{"name":"ok"}',
    });
    expect(response.status).toBe(200);
  });

  test("an Origin outside ALLOWED_ORIGINS is 403 for reads and writes alike, with no CORS headers", async () => {
    for (const [method, path] of [
      ["GET", "/stats"],
      ["POST", "/things"],
      ["OPTIONS", "/things"],
    ] as const) {
      const response = await service().request(path, {
        method,
        headers: {
          origin: "https://evil.example",
          "content-type": "application/json",
          host: "127.0.0.1:3002",
        },
        body: method === "POST" ? '{"name":"x"}' : undefined,
      });
      expect(response.status).toBe(403);
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(await response.json()).toMatchObject({ error: { code: "origin_not_allowed" } });
    }
  });

  test("an allowed origin gets CORS headers and its preflight", async () => {
    const preflight = await service().request("/things", {
      method: "OPTIONS",
      headers: { origin: site, "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(site);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
    const read = await service().request("/stats", { headers: { origin: site } });
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBe(site);
    expect(read.headers.get("vary")).toBe("Origin");
  });

  test("without ALLOWED_ORIGINS nothing is permissive: no wildcard, only the service's own pages", async () => {
    const plain = app();
    const own = await plain.request("/stats", {
      headers: { origin: "http://127.0.0.1:3004", host: "127.0.0.1:3004" },
    });
    expect(own.status).toBe(200);
    const other = await plain.request("/stats", {
      headers: { origin: "http://127.0.0.1:5173", host: "127.0.0.1:3004" },
    });
    expect(other.status).toBe(403);
    const anonymous = await plain.request("/stats");
    expect(anonymous.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("a page that rebinds its DNS name to 127.0.0.1 may read but not write", () => {
    const none = new Set<string>();
    expect(originAllowed("http://rebind.evil:3002", "GET", "rebind.evil:3002", none)).toBe(true);
    expect(originAllowed("http://rebind.evil:3002", "POST", "rebind.evil:3002", none)).toBe(false);
    expect(originAllowed("http://127.0.0.1:3002", "POST", "127.0.0.1:3002", none)).toBe(true);
    expect(originAllowed("null", "GET", "127.0.0.1:3002", none)).toBe(false);
  });

  test("error bodies repeat at most 64 characters of input and never a URL, an address or a stack", async () => {
    const long = "k".repeat(5000);
    const unknownKey = await service().request("/things", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x", [long]: 1 }),
    });
    expect(unknownKey.status).toBe(400);
    const text = await unknownKey.text();
    expect(text).not.toContain("k".repeat(65));
    expect(text.length).toBeLessThan(2000);

    const broken = await service().request("/things", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"name": "${"s".repeat(500)}`,
    });
    expect(broken.status).toBe(400);
    expect(await broken.text()).not.toContain("s".repeat(65));

    const route = await service().request(`/${"p".repeat(300)}`);
    expect(route.status).toBe(404);
    expect(await route.text()).not.toContain("p".repeat(65));

    const internal = await (await service().request("/fail")).text();
    expect(internal).not.toContain("registry.internal");
    expect(internal).not.toContain("10.1.2.3");
    expect(internal).not.toMatch(/at .+\.ts:\d+/);
  });

  test("echo quotes and cuts caller input", () => {
    expect(echo("AAPL")).toBe('"AAPL"');
    expect(echo("x".repeat(100))).toBe(`"${"x".repeat(64)}…"`);
  });
});
