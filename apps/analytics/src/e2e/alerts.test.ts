/**
 * Alerts on the real stack, from bars produced straight onto the bars topic: a price-cross rule
 * fires once on the crossing, not while the price hovers inside the hysteresis band, and again after
 * it re-armed; firings reach the SSE stream and `GET /v1/alerts`; a loopback webhook that was down
 * while analytics restarted gets each alert once (by delivery id), signed, from the outbox; a fresh
 * group replaying the topic fires nothing twice.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { type Bar, formatTimestamp } from "@repo/contracts";
import { freePort, messageCount, produceRaw, type RunningService } from "@repo/testkit";
import { type AnalyticsScenario, analyticsScenario, caughtUp, stats, waitFor } from "./harness.ts";

const TOKEN = "alerts-e2e-operator-token-0123456789";
const SECRET = "webhook-secret-0123456789";
const MINUTE = 60_000_000;

let s: AnalyticsScenario | undefined;
let receiver: ReturnType<typeof Bun.serve> | undefined;
afterAll(async () => {
  await receiver?.stop(true);
  await s?.close();
}, 120_000);

/** The minute the rule was created in: bars of earlier minutes could never fire it. */
let m0 = 0;
let trades = 0;
/** Delivery ids (dedup keys) of the first two firings, as the SSE stream showed them. */
let firedIds: string[] = [];
function bar(minute: number, close: string): Bar {
  trades += 1;
  return {
    symbol: "ALRT",
    start: m0 + minute * MINUTE,
    end: m0 + (minute + 1) * MINUTE,
    open: close,
    high: close,
    low: close,
    close,
    volume: 100 * trades,
    vwap: close,
    trades,
  };
}

/** Reads `event: alert` data from an SSE response into `into`. */
async function collect(response: Response, into: { event: string; data: string }[]) {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut = buffer.indexOf("\n\n");
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event) into.push({ event, data: data ?? "" });
      cut = buffer.indexOf("\n\n");
    }
  }
}

describe("analytics alerts on the real stack", () => {
  let analytics: RunningService;
  const port = freePort();
  const deliveries: { id: string; body: string; valid: boolean }[] = [];
  let streamed: { event: string; data: string }[] = [];
  const env = {
    API_OPERATOR_TOKENS: `e2e:${TOKEN}`,
    ANALYTICS_WEBHOOK_MAX_DELAY_MS: "1000",
    ANALYTICS_INDICATORS: "sma5,rsi14",
  };

  test("a price cross fires once, not again inside the hysteresis band, again after re-arming; SSE and GET /v1/alerts show each once", async () => {
    s = await analyticsScenario("an_alert");
    analytics = await s.startAnalytics(env);
    const url = analytics.url;
    const body = {
      symbol: "ALRT",
      condition: { kind: "price_cross", level: "100", direction: "up", hysteresis: "0.5" },
      webhook: { url: `http://127.0.0.1:${await port}/hook`, secret: SECRET },
    };
    const post = (headers: Record<string, string>, payload: unknown) =>
      fetch(`${url}/v1/alerts/rules`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(payload),
      });
    expect((await post({}, body)).status).toBe(401);
    const invalid = await post(
      { authorization: `Bearer ${TOKEN}` },
      { ...body, condition: { kind: "rsi", length: 9, above: "70" } },
    );
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(await invalid.json())).toContain("condition.length");
    const created = await post({ authorization: `Bearer ${TOKEN}` }, body);
    expect(created.status).toBe(201);
    m0 = Math.floor(Date.now() / 60_000) * MINUTE;
    const rule = (await created.json()) as { id: string; webhook: { url: string } };
    const listed = (await (await fetch(`${url}/v1/alerts/rules`)).json()) as {
      rules: { id: string; webhook: { url: string } }[];
    };
    expect(listed.rules.map((r) => r.id)).toEqual([rule.id]);
    expect(JSON.stringify(listed)).not.toContain(SECRET);

    const stream = await fetch(`${url}/v1/alerts/stream`, {
      headers: { accept: "text/event-stream" },
    });
    expect(stream.status).toBe(200);
    void collect(stream, streamed).catch(() => {});
    await waitFor(
      "the stream said ready",
      async () => (streamed.some((e) => e.event === "ready") ? true : undefined),
      10_000,
    );

    // A neighbour's bytes on the bars topic are counted and skipped, never a stall.
    await produceRaw((s as AnalyticsScenario).topic.bars, [
      { key: "ALRT", value: Buffer.from("not a bar") },
    ]);
    await (s as AnalyticsScenario).produceBars([
      bar(0, "99"), // arms
      bar(0, "100.2"), // crosses: fires
      bar(1, "99.7"), // inside the band: stays latched
      bar(1, "100.4"), // no second firing
      bar(2, "99.4"), // clears the band: re-armed
      bar(3, "101"), // fires again
    ]);
    const alerts = await waitFor(
      "two alerts on the stream",
      async () => {
        const got = streamed.filter((e) => e.event === "alert");
        return got.length >= 2 ? got : undefined;
      },
      60_000,
      [analytics],
    );
    const settled = await caughtUp(analytics, 7);
    expect(settled.bars.skipped).toEqual({ bad_magic_byte: 1 });
    const firings = alerts.map(
      (e) => JSON.parse(e.data) as { id: string; barStart: string; price: string; event: string },
    );
    firedIds = firings.map((f) => f.id);
    expect(firings.map((f) => [f.event, f.barStart, f.price])).toEqual([
      ["cross_up", formatTimestamp(m0), "100.2"],
      ["cross_up", formatTimestamp(m0 + 3 * MINUTE), "101"],
    ]);
    expect(streamed.filter((e) => e.event === "alert").length).toBe(2);
    const from = new Date(m0 / 1000 - 60_000).toISOString();
    const to = new Date(m0 / 1000 + 10 * 60_000).toISOString();
    const stored = (await (await fetch(`${url}/v1/alerts?from=${from}&to=${to}`)).json()) as {
      alerts: { id: string }[];
    };
    expect(stored.alerts.map((a) => a.id)).toEqual(firings.map((f) => f.id));
    expect((await fetch(`${url}/v1/alerts?from=${to}&to=${from}`)).status).toBe(400);
  }, 180_000);

  test("a webhook receiver down while analytics restarts gets each waiting alert once after it is back (same delivery id), signed", async () => {
    const scenario = s as AnalyticsScenario;
    await waitFor(
      "delivery retried while the receiver is down",
      async () => ((await stats(analytics)).webhooks.retried >= 2 ? true : undefined),
      60_000,
      [analytics],
    );
    expect(deliveries.length).toBe(0);
    // A restart while both deliveries wait: the new process reads them back from the outbox.
    const stoppedAt = Date.now();
    expect(await analytics.stop()).toBe(0);
    expect(streamed.at(-1)?.event).toBe("shutdown");
    analytics = await scenario.startAnalytics(env);
    const restarted = await waitFor(
      "the restarted service retried the restored deliveries",
      async () => {
        const now = await stats(analytics);
        return now.webhooks.restored >= 2 && now.webhooks.retried >= 2 ? now : undefined;
      },
      60_000,
      [analytics],
    );
    expect(restarted.webhooks.restored).toBe(2);
    expect(restarted.alerts.fired).toBe(0);
    streamed = [];
    const stream = await fetch(`${analytics.url}/v1/alerts/stream`, {
      headers: { accept: "text/event-stream" },
    });
    void collect(stream, streamed).catch(() => {});
    await waitFor(
      "the new stream said ready",
      async () => (streamed.some((e) => e.event === "ready") ? true : undefined),
      10_000,
    );
    expect(deliveries.length).toBe(0);
    receiver = Bun.serve({
      hostname: "127.0.0.1",
      port: await port,
      async fetch(request) {
        const body = await request.text();
        const [t, v1] = (request.headers.get("x-marketpipe-signature") ?? "")
          .split(",")
          .map((part) => part.split("=")[1]);
        const expected = createHmac("sha256", SECRET).update(`${t}.${body}`).digest("hex");
        deliveries.push({
          id: request.headers.get("x-marketpipe-delivery") ?? "",
          body,
          valid: v1 === expected,
        });
        return new Response("ok");
      },
    });
    const receiverUp = Date.now();
    await waitFor(
      "both alerts delivered",
      async () => (deliveries.length >= 2 ? true : undefined),
      60_000,
      [analytics],
    );
    console.log(
      `webhook outbox: 2 deliveries waited ${Date.now() - stoppedAt} ms from the SIGTERM (receiver down ${receiverUp - stoppedAt} ms of it), delivered ${Date.now() - receiverUp} ms after the receiver came back`,
    );
    expect(deliveries.map((d) => d.id).toSorted()).toEqual(firedIds.toSorted());
    // A third firing, delivered at once, is the signal that nothing older is still coming.
    await scenario.produceBars([bar(4, "99"), bar(5, "100.6")]);
    await waitFor(
      "the third alert delivered",
      async () => (deliveries.length >= 3 ? true : undefined),
      60_000,
      [analytics],
    );
    await waitFor(
      "no delivery waiting",
      async () => ((await stats(analytics)).webhooks.waiting === 0 ? true : undefined),
      30_000,
      [analytics],
    );
    await waitFor(
      "every delivered row deleted from the outbox",
      async () =>
        (await scenario.db.execute("SELECT delivery_id FROM webhook_outbox")).rowLength === 0
          ? true
          : undefined,
      30_000,
      [analytics],
    );
    const ids = deliveries.map((d) => d.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids.length).toBe(3);
    expect(deliveries.every((d) => d.valid)).toBe(true);
    expect(JSON.parse(deliveries[2]?.body ?? "{}")).toMatchObject({
      symbol: "ALRT",
      event: "cross_up",
      price: "100.6",
    });
  }, 120_000);

  test("a fresh group replaying the bars topic re-evaluates every rule but fires no alert twice", async () => {
    const scenario = s as AnalyticsScenario;
    // SIGTERM with the alert stream open: the stream ends with `shutdown`, the service exits 0.
    expect(await analytics.stop()).toBe(0);
    expect(streamed.at(-1)?.event).toBe("shutdown");
    const replay = await scenario.startAnalytics({
      ...env,
      ANALYTICS_GROUP: `${scenario.prefix}replay`,
    });
    await caughtUp(replay, await messageCount(scenario.topic.bars));
    const after = await waitFor(
      "the replay found the three firings already recorded",
      async () => {
        const now = await stats(replay);
        return now.alerts.duplicate >= 3 ? now : undefined;
      },
      60_000,
      [replay],
    );
    expect(after.alerts.duplicate).toBe(3);
    expect(after.alerts.fired).toBe(0);
    expect(deliveries.length).toBe(3);
    const from = new Date(m0 / 1000 - 60_000).toISOString();
    const to = new Date(m0 / 1000 + 10 * 60_000).toISOString();
    const stored = (await (
      await fetch(`${replay.url}/v1/alerts?from=${from}&to=${to}`)
    ).json()) as { alerts: unknown[] };
    expect(stored.alerts.length).toBe(3);
  }, 120_000);
});
