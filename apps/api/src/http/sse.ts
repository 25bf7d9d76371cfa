import type { Tick } from "@repo/contracts";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { StoredBar } from "../market/rollup.ts";
import type { MarketStream, StreamEvent } from "../stream/market-stream.ts";

/** A comment line this often keeps proxies and browsers from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/**
 * Answers with a Server-Sent Events stream of `quote` and `bar` events for `symbols` (all when
 * null) until the client goes away.
 *
 * @example
 *   return streamMarket(c, stream, ["AAPL"], { tick: tickJson, bar: (s, b) => ({ symbol: s, ...barJson(b) }) });
 */
export function streamMarket(
  c: Context,
  stream: MarketStream,
  symbols: string[] | null,
  render: { tick: (tick: Tick) => unknown; bar: (symbol: string, bar: StoredBar) => unknown },
) {
  c.header("Cache-Control", "no-cache");
  c.header("X-Accel-Buffering", "no");
  return streamSSE(c, async (sse) => {
    const queue: StreamEvent[] = [];
    let wake: (() => void) | undefined;
    let open = true;
    const unsubscribe = stream.subscribe(symbols, (event) => {
      queue.push(event);
      wake?.();
    });
    sse.onAbort(() => {
      open = false;
      wake?.();
    });
    try {
      await sse.writeSSE({ event: "ready", data: JSON.stringify({ symbols }), retry: 3000 });
      while (open) {
        const event = queue.shift();
        if (event) {
          const data =
            event.event === "quote" ? render.tick(event.tick) : render.bar(event.symbol, event.bar);
          await sse.writeSSE({ event: event.event, data: JSON.stringify(data) });
          continue;
        }
        const idle = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), KEEPALIVE_MS);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        wake = undefined;
        if (idle && open) await sse.write(": keepalive\n\n");
      }
    } finally {
      unsubscribe();
    }
  });
}
