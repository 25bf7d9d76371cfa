import { afterAll, expect, test } from "bun:test";
import type { StreamProvider } from "./providers/provider.ts";
import { createReadiness } from "./readiness.ts";

let producerReady = true;
const producer = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: () => new Response("{}", { status: producerReady ? 200 : 503 }),
});
afterAll(() => producer.stop(true));
const url = `http://127.0.0.1:${producer.port}`;

const stream = (ok: boolean): StreamProvider => ({
  name: "alpaca",
  start: () => {},
  stop: async () => {},
  view: () => ({}),
  check: () => (ok ? { ok } : { ok, detail: "connecting: 401 auth failed" }),
});

test("ready when the producer is ready, nothing is held and every stream streams", async () => {
  expect(
    await createReadiness({
      producerUrl: url,
      forwarding: () => undefined,
      streams: [stream(true)],
    }).round(),
  ).toEqual({
    ready: true,
    checks: { producer: { ok: true }, forwarding: { ok: true }, "stream.alpaca": { ok: true } },
  });
});

test("each failing dependency is named with why", async () => {
  producerReady = false;
  const notReady = await createReadiness({
    producerUrl: url,
    forwarding: () => "producer has no schema yet",
    streams: [stream(false)],
  }).round();
  producerReady = true;
  expect(notReady).toEqual({
    ready: false,
    checks: {
      producer: { ok: false, detail: "producer /readyz answered 503" },
      forwarding: { ok: false, detail: "producer has no schema yet" },
      "stream.alpaca": { ok: false, detail: "connecting: 401 auth failed" },
    },
  });
});

test("each /readyz asks the producer again", async () => {
  const health = createReadiness({ producerUrl: url });
  expect((await health.round()).ready).toBe(true);
  producerReady = false;
  const after = await health.round();
  producerReady = true;
  expect(after.checks.producer).toEqual({ ok: false, detail: "producer /readyz answered 503" });
});

test("an unreachable producer makes ingest not ready", async () => {
  const readiness = await createReadiness({
    producerUrl: "http://127.0.0.1:1",
    streams: [],
    timeoutMs: 500,
  }).round();
  expect(readiness.ready).toBe(false);
  expect(readiness.checks.producer?.detail).toStartWith("producer unreachable");
});
