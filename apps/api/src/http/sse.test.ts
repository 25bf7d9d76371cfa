import { expect, test } from "bun:test";
import { sampleTick } from "@repo/testkit";
import { Hono } from "hono";
import type { StreamEnd } from "../stats.ts";
import type { MarketStream, StreamListener } from "../stream/market-stream.ts";
import { type StreamLimits, streamMarket } from "./sse.ts";

/** A stream with one subscriber slot the test feeds by hand. */
function handFedStream() {
  let listener: StreamListener | undefined;
  const stream: MarketStream = {
    subscribe(_symbols, next) {
      listener = next;
      return () => {
        listener = undefined;
      };
    },
    publish: () => {},
    clients: () => (listener ? 1 : 0),
    close: async () => listener?.end("shutdown"),
  };
  const quote = (symbol: string, sequence = 1) => {
    const tick = sampleTick({
      source: "t",
      symbol,
      eventTime: 1_000_000,
      sequence,
      price: "1",
      size: 1,
    });
    listener?.send({ event: "quote", symbol, tick });
  };
  return { stream, quote, subscribed: () => listener !== undefined };
}

function serve(limits: StreamLimits) {
  const fed = handFedStream();
  const ends: StreamEnd[] = [];
  const app = new Hono();
  app.get("/stream", (c) =>
    streamMarket(c, {
      stream: fed.stream,
      symbols: null,
      render: (event) => ({
        symbol: event.symbol,
        tick: event.event === "quote" ? event.tick.sequence : 0,
      }),
      limits,
      done: (end) => ends.push(end),
    }),
  );
  return { fed, ends, request: () => app.request("/stream") };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 400 && !check(); i++) await Bun.sleep(5);
  expect(check()).toBe(true);
};

test("a client that does not read is dropped once queueMax events wait, with a final dropped event", async () => {
  const { fed, ends, request } = serve({ queueMax: 10, writeTimeoutMs: 60_000, retryMs: 3_000 });
  const response = await request();
  await until(fed.subscribed);
  for (let i = 0; i < 100; i += 1) fed.quote(`S${i}`);
  expect(fed.subscribed()).toBe(true);
  const text = await response.text();
  expect(text).toContain('event: dropped\ndata: {"code":"slow_client"');
  expect(text).toContain("retry: 3000");
  expect(text.split("event: quote").length - 1).toBeLessThanOrEqual(11);
  expect(ends).toEqual(["slow_client"]);
  expect(fed.subscribed()).toBe(false);
});

test("a newer quote of a symbol replaces the waiting one instead of queueing behind it", async () => {
  const { fed, ends, request } = serve({ queueMax: 3, writeTimeoutMs: 60_000, retryMs: 3_000 });
  const response = await request();
  await until(fed.subscribed);
  for (let sequence = 1; sequence <= 50; sequence += 1) fed.quote("AAPL", sequence);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = "";
  while (!text.includes('"tick":50')) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  expect(text.split("event: quote").length - 1).toBeLessThanOrEqual(3);
  await until(() => ends.length === 1);
  expect(ends).toEqual(["client_gone"]);
});

test("a write the client does not take within writeTimeoutMs ends the stream", async () => {
  const { fed, ends, request } = serve({ queueMax: 1000, writeTimeoutMs: 50, retryMs: 3_000 });
  await request();
  await until(fed.subscribed);
  for (let i = 0; i < 5; i += 1) fed.quote(`S${i}`);
  await until(() => ends.length === 1);
  expect(ends).toEqual(["write_timeout"]);
  expect(fed.subscribed()).toBe(false);
});

test("a shutdown ends the stream with a shutdown event carrying retry:", async () => {
  const { fed, ends, request } = serve({ queueMax: 1000, writeTimeoutMs: 1000, retryMs: 4_000 });
  const response = await request();
  await until(fed.subscribed);
  fed.stream.close();
  const text = await response.text();
  expect(text).toContain("retry: 4000\nevent: shutdown\n");
  expect(ends).toEqual(["shutdown"]);
});
