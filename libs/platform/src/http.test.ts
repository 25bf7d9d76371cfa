import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { ApiError, createServiceApp, drain, formatPath, parseJson, settled } from "./http.ts";
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

  test("unexpected errors are a 500 without internals", async () => {
    const response = await app().request("/boom");
    expect(response.status).toBe(500);
    expect(JSON.stringify(await response.json())).not.toContain("secret internals");
  });

  test("a draining app answers 503 with Retry-After but stays healthy", async () => {
    const service = app();
    drain(service);
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
    drain(service);
    let answered = false;
    const waiting = settled(service, 5_000).then((all) => {
      answered = true;
      return all;
    });
    await Bun.sleep(20);
    expect(answered).toBe(false);
    release();
    expect(await waiting).toBe(true);
    expect((await slow).status).toBe(200);
    expect(await settled(service, 10)).toBe(true);
  });

  test("paths are rendered the way callers write them", () => {
    expect(formatPath(["records", 3, "value", "price"])).toBe("records[3].value.price");
  });
});
