import { afterEach, describe, expect, test } from "bun:test";
import { until } from "@repo/testkit";
import { createSimulator } from "../providers/simulator.ts";
import { forwardingHarness } from "../testing/ingest.ts";

const token = "ingest-9d8c7b6a5f4e3d2c1b0a9f8e";
const servers: { stop(force?: boolean): unknown }[] = [];
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const server of servers.splice(0)) server.stop(true);
});

/** A producer stand-in that accepts only `token` (or answers whatever `answer` says). */
function producer(answer?: (request: Request) => Response | undefined) {
  const seen: { authorization: string | null; records: number }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = (await request.json()) as { records: unknown[] };
      seen.push({
        authorization: request.headers.get("authorization"),
        records: body.records.length,
      });
      const special = answer?.(request);
      if (special) return special;
      if (request.headers.get("authorization") !== `Bearer ${token}`)
        return Response.json({ error: { code: "unauthenticated" } }, { status: 401 });
      return Response.json({ offsets: [] });
    },
  });
  servers.push(server);
  return { url: `http://127.0.0.1:${server.port}`, seen };
}

function forwarding(producerUrl: string, sentToken?: string) {
  const { stats, buffer, forwarder, ingest } = forwardingHarness(producerUrl, {
    capacity: 1_000,
    gates: { maxStalenessMs: 60_000, maxPriceJump: 0.5, dedupeWindow: 10_000 },
    forwarder: { token: sentToken, lingerMs: 10, maxRetryDelayMs: 30 },
  });
  forwarder.start();
  stops.push(() => forwarder.stop(500));
  return { stats, buffer, forwarder, ingest };
}

const simulator = () => createSimulator({ seed: 9, symbols: ["AAPL"], ticksPerPoll: 20 });

describe("ingest's credentials towards the producer", () => {
  test("PRODUCER_TOKEN is sent as a bearer token", async () => {
    const target = producer();
    const { stats, ingest } = forwarding(target.url, token);
    await ingest.poll(simulator());
    await until(() => stats.counter("records.forwarded").value === 20);
    expect(target.seen.every((s) => s.authorization === `Bearer ${token}`)).toBe(true);
  });

  test("a 401 holds the records and says which variable to fix; nothing is dropped as rejected", async () => {
    const target = producer();
    const { stats, buffer, forwarder, ingest } = forwarding(target.url, "not-the-right-token-0000");
    await ingest.poll(simulator());
    await until(() => target.seen.length >= 3);
    expect(buffer.size).toBe(20);
    expect(forwarder.problem()).toContain("PRODUCER_TOKEN");
    expect(forwarder.problem()).not.toContain("not-the-right-token");
    expect(stats.counters("records.rejected.")).toEqual({});
  });

  test("a redirect from the producer is not followed with the token", async () => {
    const elsewhere = producer();
    const redirecting = producer(() =>
      Response.redirect(`${elsewhere.url}/v1/topics/market.ticks/records`, 307),
    );
    const { buffer, forwarder, ingest } = forwarding(redirecting.url, token);
    await ingest.poll(simulator());
    await until(() => forwarder.problem() !== undefined);
    expect(elsewhere.seen).toEqual([]);
    expect(buffer.size).toBe(20);
  });
});
