import { describe, expect, test } from "bun:test";
import { type Tick, tickIdentity } from "@repo/contracts";
import { cleanupsAfterEach, until } from "@repo/testkit";
import type { ServerWebSocket } from "bun";
import { alwaysOpen } from "../stream/connection.ts";
import { createWebSocketProvider } from "../stream/websocket-provider.ts";
import { fastTimings, ingestHarness } from "../testing/ingest.ts";
import {
  finnhubKeyLabel,
  finnhubProtocol,
  finnhubSequence,
  parseFinnhubTrades,
} from "./finnhub.ts";

const cleanups = cleanupsAfterEach();

/** The message from Finnhub's documentation of the trades websocket. */
const DOCUMENTED = {
  data: [
    { c: ["1", "8", "24", "12"], p: 122.1, s: "TSLA", t: 1672348887195, v: 1 },
    { c: ["1", "8", "24", "12"], p: 122.09, s: "TSLA", t: 1672348887196, v: 4 },
    { c: ["1", "8", "24", "12"], p: 122.09, s: "TSLA", t: 1672348887196, v: 10 },
    { c: ["1", "24", "12"], p: 129.58, s: "AAPL", t: 1672348887666, v: 1 },
  ],
  type: "trade",
};

/**
 * A local server speaking the Finnhub trades websocket as documented (finnhub.io/docs/api/
 * websocket-trades; AsyncAPI description at asyncapi.apis.io/asyncapis/finnhub): token in the URL
 * (a bad one is refused at the handshake), one `subscribe` per symbol, `trade` messages whose
 * `data` may hold several trades and price updates with `v: 0`, server `ping`s. "1 API key can
 * only open 1 connection at a time": with `inUseElsewhere` the key's connection is held by someone
 * else, and every connection we open is closed again right away, before any data.
 */
function fakeFinnhub(token = "fh-token") {
  const subscribed = new Set<string>();
  const clients = new Set<ServerWebSocket<unknown>>();
  let connections = 0;
  let inUseElsewhere = false;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, srv) {
      if (new URL(request.url).searchParams.get("token") !== token)
        return new Response('{"error":"Invalid API key"}', { status: 401 });
      if (srv.upgrade(request, { data: undefined })) return;
      return new Response("upgrade expected", { status: 400 });
    },
    websocket: {
      open(ws) {
        connections += 1;
        if (inUseElsewhere) {
          ws.close(1000, "");
          return;
        }
        clients.add(ws);
      },
      message(_ws, raw) {
        const message = JSON.parse(String(raw)) as { type: string; symbol: string };
        if (message.type === "subscribe") subscribed.add(message.symbol);
      },
      close(ws) {
        clients.delete(ws);
      },
    },
  });
  cleanups.push(() => server.stop(true));
  return {
    url: `ws://127.0.0.1:${server.port}`,
    subscribed,
    get connections() {
      return connections;
    },
    get clients() {
      return clients.size;
    },
    set inUseElsewhere(value: boolean) {
      inUseElsewhere = value;
    },
    send(message: unknown) {
      for (const ws of clients) ws.send(JSON.stringify(message));
    },
    drop() {
      for (const ws of clients) ws.terminate();
    },
  };
}

interface FinnhubView {
  state: string;
  reconnects: number;
  ticks: { accepted: number; rejected: number; dropped: number };
  connections: {
    ignored: Record<string, number>;
    state: string;
    nextAttemptAt: string | null;
    lastError: { code: string; message: string } | null;
  }[];
  recovery: { available: boolean; gaps: number; unrecovered: { why: string }[] };
}

function harness(url: string, token = "fh-token", timings = fastTimings) {
  const { stats, buffer, captured, ingest } = ingestHarness();
  const provider = createWebSocketProvider({
    name: "finnhub",
    symbols: ["AAPL", "TSLA"],
    planSymbolLimit: 50,
    protocol: (symbols) => finnhubProtocol({ streamUrl: url, token, symbols }),
    regularHoursOnly: false,
    timings,
    gapOverlapMs: 100,
    gapMaxMs: 3_600_000,
    clock: alwaysOpen,
    log: captured.log,
  });
  cleanups.push(() => provider.stop());
  provider.start(ingest.sinkFor("finnhub"));
  return {
    provider,
    buffer,
    stats,
    captured,
    view: () => provider.view() as unknown as FinnhubView,
  };
}

const now = () => Date.now();
const recentTrades = (at: number) => ({
  type: "trade",
  data: [
    { s: "AAPL", p: 129.58, t: at, v: 1, c: ["1", "24", "12"] },
    { s: "AAPL", p: 129.58, t: at, v: 1, c: ["1", "24", "12"] }, // identical: a second trade
    { s: "TSLA", p: 122.1, t: at + 1, v: 10, c: ["1"] },
  ],
});

describe("finnhub trades websocket", () => {
  test("the documented trade message becomes TRADE candidates with a sequence derived from the trade's content", () => {
    const { ticks, malformed } = parseFinnhubTrades(DOCUMENTED, 1_700_000_000_000_000);
    expect(malformed).toEqual([]);
    expect(ticks[0]).toMatchObject({
      source: "finnhub",
      symbol: "TSLA",
      kind: "TRADE",
      eventTime: 1_672_348_887_195_000,
      price: "122.1",
      size: 1,
      exchange: null,
    });
    const sequences = (ticks as Tick[]).map((t) => t.sequence);
    expect(new Set(sequences).size).toBe(4);
    expect(sequences.every((s) => Number.isSafeInteger(s) && s >= 0)).toBe(true);
    // The same trade parsed again (a replay, a backfilled copy) gets the same identity.
    const again = parseFinnhubTrades(structuredClone(DOCUMENTED), 1_800_000_000_000_000);
    expect((again.ticks as Tick[]).map(tickIdentity)).toEqual((ticks as Tick[]).map(tickIdentity));
    expect(sequences[0]).toBe(finnhubSequence(DOCUMENTED.data[0] as Record<string, unknown>));
  });

  test("subscribes every symbol and streams trades; identical trades are each stored, whether in one message or split across two", async () => {
    const server = fakeFinnhub();
    const h = harness(server.url);
    await until(() => server.subscribed.size === 2, "symbols not subscribed");
    expect([...server.subscribed].sort()).toEqual(["AAPL", "TSLA"]);
    const message = recentTrades(now());
    server.send({ type: "ping" });
    server.send(message);
    await until(() => h.buffer.size === 3, "trades did not arrive");
    // Finnhub splits a burst over messages and never sends a trade twice: the same three trades
    // again are three more trades (volume counted once each), not duplicates.
    server.send(message);
    await until(() => h.buffer.size === 6, "the identical trades of the second message were lost");
    const identities = h.buffer.peek(10).map((t) => tickIdentity(t));
    expect(new Set(identities).size).toBe(6);
    expect(h.stats.counter("records.rejected.duplicate").value).toBe(0);
    expect(h.view()).toMatchObject({ state: "streaming", ticks: { accepted: 6, rejected: 0 } });
    expect(h.view().connections[0]?.ignored).toEqual({ ping: 1 });
    expect(h.captured.text()).not.toContain("fh-token");
  });

  test("price updates with volume 0 are not trades: skipped and counted as no_volume, never refused as errors", async () => {
    const server = fakeFinnhub();
    const h = harness(server.url);
    await until(() => server.subscribed.size === 2, "symbols not subscribed");
    const at = now();
    server.send({
      type: "trade",
      data: [
        { s: "AAPL", p: 129.6, t: at, v: 0, c: [] },
        { s: "AAPL", p: 129.61, t: at + 1, v: 5, c: ["1"] },
      ],
    });
    await until(() => h.buffer.size === 1, "the trade did not arrive");
    expect(h.view().connections[0]?.ignored).toEqual({ no_volume: 1 });
    expect(h.view().ticks).toEqual({ accepted: 1, rejected: 0, dropped: 0 });
  });

  test("a rejected token (HTTP 401 on the handshake) is final: no reconnect, not ready", async () => {
    const server = fakeFinnhub("right");
    const control = harness(server.url, "right");
    await until(() => server.clients === 1, "the control did not connect");
    const h = harness(server.url, "wrong");
    await until(() => h.view().state === "failed", "did not give up");
    // A retrying client is back within its backoff: once the dropped control is back, so would it be.
    server.drop();
    await until(
      () => control.view().reconnects >= 1 && server.clients === 1,
      "the control did not come back",
    );
    expect(server.connections).toBe(2); // the control's two; the wrong token never got a socket
    expect(h.view().reconnects).toBe(0);
    expect(h.provider.check()).toMatchObject({ ok: false });
    expect(h.provider.check().detail).toContain("auth_failed");
    expect(h.provider.check().detail).not.toContain("wrong");
    expect(JSON.stringify(h.view())).not.toContain("wrong");
    expect(h.captured.text()).not.toContain("wrong");
  });

  test("a key in use elsewhere (every connection closed right after opening) is reported as a connection limit naming the key's hash, with the long wait", async () => {
    const server = fakeFinnhub();
    server.inUseElsewhere = true;
    const h = harness(server.url, "fh-token", {
      ...fastTimings,
      limitRetryMs: 20,
      limitWaitMs: 60_000,
    });
    const connection = await until(() => {
      const view = h.view().connections[0];
      return view?.lastError?.code === "connection_limit" ? view : undefined;
    }, "the drop loop was not recognised");
    // Recognised at the third drop in a row, not before.
    expect(h.captured.text()).toContain("closed 3 connections in a row");
    expect(h.captured.text()).not.toContain("closed 2 connections in a row");
    expect(connection.lastError?.message).toContain(finnhubKeyLabel("fh-token"));
    expect(connection.lastError?.message).toContain("1 connection per API key");
    expect(h.provider.check().detail).toContain("connection_limit");
    expect(`${JSON.stringify(h.view())} ${h.captured.text()}`).not.toContain("fh-token");
    // After the short retries it waits long, instead of reconnecting in a loop.
    await until(
      () => Date.parse(h.view().connections[0]?.nextAttemptAt ?? "") - Date.now() > 30_000,
      "no long wait",
    );
    expect(server.connections).toBe(6);
  });

  test("a connection that cannot be opened is retried, and its error never shows the token", async () => {
    const h = harness("ws://127.0.0.1:1", "sekret-token");
    await until(() => h.view().reconnects >= 2, "no retries");
    const shown = `${h.provider.check().detail} ${JSON.stringify(h.view())} ${h.captured.text()}`;
    expect(shown).toContain("closed");
    expect(shown).not.toContain("sekret-token");
  });

  test("after a disconnect Finnhub has no history to recover from: the gap is reported as unrecovered", async () => {
    const server = fakeFinnhub();
    const h = harness(server.url);
    await until(() => server.clients === 1 && server.subscribed.size === 2, "no subscription");
    server.send(recentTrades(now()));
    await until(() => h.buffer.size === 3, "trades did not arrive");
    server.drop();
    await until(() => server.connections === 2 && h.view().state === "streaming", "no reconnect");
    const recovery = await until(
      () => (h.view().recovery.unrecovered.length === 1 ? h.view().recovery : undefined),
      "gap not reported",
    );
    expect(recovery).toMatchObject({ available: false, gaps: 1 });
    expect(recovery.unrecovered[0]?.why).toBe("no history for this provider");
  });
});
