import { expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import { createWebhookSender, DELIVERY_HEADER, signBody, WEBHOOK_METRIC } from "./webhooks.ts";

test("the signature is HMAC-SHA256 of '<timestamp>.<body>' with the rule's secret, hex", () => {
  const body = '{"id":"r|1|cross_up"}';
  const expected = createHmac("sha256", "0123456789abcdef")
    .update(`1767225600.${body}`)
    .digest("hex");
  expect(signBody("0123456789abcdef", 1767225600, body)).toBe(`t=1767225600,v1=${expected}`);
  expect(signBody("0123456789abcdeX", 1767225600, body)).not.toBe(`t=1767225600,v1=${expected}`);
});

test("outbox rows leave the queue once: delivered and refused ones are settled, restored ones past their age are dropped, not sent", async () => {
  const received: string[] = [];
  const receiver = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const id = request.headers.get(DELIVERY_HEADER) ?? "";
      received.push(id);
      return new Response("", { status: id === "refused" ? 410 : 200 });
    },
  });
  const stats = createStats();
  const settled: string[] = [];
  const webhooks = createWebhookSender({
    maxQueue: 10,
    timeoutMs: 2000,
    maxAgeMs: 60_000,
    maxDelayMs: 1000,
    stats,
    log: createLogger("webhooks-test", "silent"),
    settled: (delivery) => settled.push(delivery.id),
  });
  const delivery = (id: string, enqueuedAt: number) => ({
    id,
    ruleId: "r",
    barStart: 0,
    url: `http://127.0.0.1:${receiver.port}/hook`,
    secret: "0123456789abcdef",
    body: "{}",
    enqueuedAt,
  });
  try {
    webhooks.restore([delivery("stale", Date.now() - 120_000), delivery("waiting", Date.now())]);
    webhooks.send(delivery("refused", Date.now()));
    for (let i = 0; i < 200 && settled.length < 3; i += 1) await Bun.sleep(10);
    expect(settled.toSorted()).toEqual(["refused", "stale", "waiting"]);
    expect(received.toSorted()).toEqual(["refused", "waiting"]);
    expect(stats.counter(WEBHOOK_METRIC.restored).value).toBe(1);
    expect(stats.counter(WEBHOOK_METRIC.dropped("expired")).value).toBe(1);
    expect(webhooks.waiting).toBe(0);
  } finally {
    webhooks.stop();
    await receiver.stop(true);
  }
});
