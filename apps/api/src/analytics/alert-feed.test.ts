import { afterAll, describe, expect, test } from "bun:test";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger } from "@repo/platform/log";
import { eventually } from "@repo/testkit";
import { type AlertFeedEvent, createAlertFeed, parseMessage } from "./alert-feed.ts";

const log = createLogger("test", "silent");
/** A stand-in for analytics' /v1/alerts/stream (apps/analytics/README.md: `ready`, then `alert`s). */
const clients: ServerResponse[] = [];
let connections = 0;
const server = createServer((_req, res) => {
  connections += 1;
  res.writeHead(200, { "content-type": "text/event-stream" });
  res.write("retry: 5000\nevent: ready\ndata: {}\n\n");
  clients.push(res);
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
afterAll(() => {
  for (const res of clients) res.end();
  server.close();
});

describe("the shared alert feed", () => {
  test("one connection outlives its connect timeout and fans each alert out to every subscriber", async () => {
    const feed = createAlertFeed({ baseUrl, log, connectTimeoutMs: 200 });
    const seen: AlertFeedEvent[][] = [[], []];
    const leave = seen.map((events) =>
      feed.subscribe({ send: (event) => events.push(event), end: () => {} }),
    );
    expect(await feed.ready(2_000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(feed.connected()).toBe(true);
    expect(connections).toBe(1);
    clients.at(-1)?.write('id: r|1|cross_up\nevent: alert\ndata: {"id":"r|1|cross_up"}\n\n');
    for (const events of seen)
      await eventually(() => Promise.resolve(events.find((e) => e.event === "alert")), {
        timeoutMs: 2_000,
        message: "no alert",
      });
    expect(seen[0]?.filter((e) => e.event === "alert")).toEqual([
      { event: "alert", id: "r|1|cross_up", data: { id: "r|1|cross_up" } },
    ]);
    for (const fn of leave) fn();
    expect(feed.connected()).toBe(false);
  });

  test("SSE messages parse with their event, id and multi-line data; comments are skipped", () => {
    expect(parseMessage(": keepalive")).toEqual({
      event: "message",
      id: undefined,
      data: undefined,
    });
    expect(parseMessage("id: a\nevent: alert\ndata: {\ndata: }")).toEqual({
      event: "alert",
      id: "a",
      data: "{\n}",
    });
  });
});
