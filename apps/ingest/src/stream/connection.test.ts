import { afterEach, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { createServer, type Socket } from "node:net";
import { captureLog } from "../testing/capture-log.ts";
import { alwaysOpen, createStreamConnection } from "./connection.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Completes the WebSocket handshake, then ignores everything, pings included (a half-dead peer). */
async function blackHole() {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.once("data", (request) => {
      const key = /Sec-WebSocket-Key: *(\S+)/i.exec(request.toString())?.[1] ?? "";
      const accept = createHash("sha1")
        .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest("base64");
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const address = server.address();
  return {
    url: `ws://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    connections: () => sockets.length,
  };
}

test("a peer that answers neither frames nor pings is declared dead after two ping intervals and reconnected", async () => {
  const peer = await blackHole();
  const connection = createStreamConnection({
    provider: "test",
    id: 0,
    symbols: ["AAPL"],
    protocol: { url: () => peer.url, displayUrl: peer.url, onOpen() {}, onMessage() {} },
    timings: {
      connectTimeoutMs: 30_000,
      pingIntervalMs: 100,
      staleAfterMs: 60_000,
      reconnectMinMs: 10,
      reconnectMaxMs: 50,
      limitWaitMs: 1_000,
      stableAfterMs: 30_000,
    },
    regularHoursOnly: false,
    clock: alwaysOpen,
    log: captureLog().log,
    onTicks() {},
    onGap() {},
  });
  cleanups.push(() => connection.stop());
  connection.start();
  const deadline = Date.now() + 10_000;
  while (peer.connections() < 2 && Date.now() < deadline) await Bun.sleep(10);
  expect(peer.connections()).toBeGreaterThanOrEqual(2);
  expect(connection.view().lastError?.code).toBe("no_pong");
  expect(connection.check().ok).toBe(false);
});
