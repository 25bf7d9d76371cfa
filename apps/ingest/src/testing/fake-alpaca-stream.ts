import type { ServerWebSocket, WebSocketHandler } from "bun";

export type FakeBehaviour =
  /** The documented happy path. */
  | "normal"
  /** `[{"T":"error","code":402,"msg":"auth failed"}]` after the auth message, then close. */
  | "auth_failure"
  /** `[{"T":"error","code":406,"msg":"connection limit exceeded"}]` after auth, then close. */
  | "connection_limit"
  /** `[{"T":"error","code":411,"msg":"insufficient scope"}]` after auth, then close. */
  | "insufficient_scope"
  /** Control messages as usual, but no data frames reach the client (emitted ones go to history only). */
  | "silent";

/** One client connection of the stand-in's stream. */
export interface FakeStreamSession {
  authenticated: boolean;
  subscribed: boolean;
  symbols: Set<string>;
}

/**
 * The stream half of the Alpaca stand-in (see fake-alpaca.ts for the documents it follows):
 * connected → auth → subscribe → subscription, the 402/406/411/405 refusals, and frames sent only
 * to the clients subscribed to a symbol.
 *
 * @example
 *   const stream = createFakeAlpacaStream({ keyId, secretKey, symbolLimit: 30, connectionLimit: 1,
 *     behaviour: () => "normal" });
 *   Bun.serve<FakeStreamSession>({ fetch, websocket: stream.websocket });
 */
export function createFakeAlpacaStream(options: {
  keyId: string;
  secretKey: string;
  symbolLimit: number;
  connectionLimit: number;
  behaviour: () => FakeBehaviour;
}) {
  const { keyId, secretKey, symbolLimit, connectionLimit } = options;
  const clients = new Set<ServerWebSocket<FakeStreamSession>>();
  const sessions = new Set<ServerWebSocket<FakeStreamSession>>();
  const refusals: { code: number; msg: string }[] = [];
  const received: unknown[] = [];
  let connections = 0;

  const websocket: WebSocketHandler<FakeStreamSession> = {
    open(ws) {
      connections += 1;
      ws.send(JSON.stringify([{ T: "success", msg: "connected" }]));
    },
    message(ws, raw) {
      const message = JSON.parse(String(raw)) as {
        action?: string;
        key?: string;
        secret?: string;
        trades?: string[];
        quotes?: string[];
      };
      received.push(message);
      if (message.action === "auth") {
        if (
          options.behaviour() === "auth_failure" ||
          message.key !== keyId ||
          message.secret !== secretKey
        ) {
          ws.send(JSON.stringify([{ T: "error", code: 402, msg: "auth failed" }]));
          ws.close();
          return;
        }
        if (options.behaviour() === "insufficient_scope") {
          refuse(ws, 411, "insufficient scope");
          ws.close();
          return;
        }
        if (options.behaviour() === "connection_limit" || sessions.size >= connectionLimit) {
          refuse(ws, 406, "connection limit exceeded");
          ws.close();
          return;
        }
        sessions.add(ws);
        ws.data.authenticated = true;
        ws.send(JSON.stringify([{ T: "success", msg: "authenticated" }]));
        return;
      }
      if (message.action === "subscribe") {
        if (!ws.data.authenticated) {
          ws.send(JSON.stringify([{ T: "error", code: 401, msg: "not authenticated" }]));
          return;
        }
        const wanted = new Set([
          ...ws.data.symbols,
          ...(message.trades ?? []),
          ...(message.quotes ?? []),
        ]);
        if (wanted.size > symbolLimit) {
          refuse(ws, 405, "symbol limit exceeded");
          return;
        }
        ws.data.symbols = wanted;
        ws.data.subscribed = true;
        clients.add(ws);
        ws.send(
          JSON.stringify([
            {
              T: "subscription",
              trades: message.trades ?? [],
              quotes: message.quotes ?? [],
              bars: [],
              updatedBars: [],
              dailyBars: [],
              statuses: [],
              lulds: [],
              corrections: message.trades ?? [],
              cancelErrors: message.trades ?? [],
            },
          ]),
        );
        return;
      }
      ws.send(JSON.stringify([{ T: "error", code: 400, msg: "invalid syntax" }]));
    },
    close(ws) {
      clients.delete(ws);
      sessions.delete(ws);
    },
  };

  function refuse(ws: ServerWebSocket<FakeStreamSession>, code: number, msg: string) {
    refusals.push({ code, msg });
    ws.send(JSON.stringify([{ T: "error", code, msg }]));
  }

  function broadcast(symbol: string, messages: unknown[]) {
    if (options.behaviour() === "silent" || messages.length === 0) return;
    const frame = JSON.stringify(messages);
    for (const ws of clients) if (ws.data.subscribed && ws.data.symbols.has(symbol)) ws.send(frame);
  }

  return {
    websocket,
    clients,
    refusals,
    received,
    broadcast,
    /** WebSocket connections opened so far. */
    get connections() {
      return connections;
    },
  };
}
