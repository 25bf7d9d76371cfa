import { afterEach, describe, expect, test } from "bun:test";
import { captureLog } from "../testing/capture-log.ts";
import { createHttpSource, PermanentHttpError } from "./http-source.ts";

const servers: { stop(force?: boolean): unknown }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.stop(true);
});

describe("provider requests", () => {
  test("a provider's redirect is refused, never followed with its key headers", async () => {
    const hits: (string | null)[] = [];
    const elsewhere = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(request) {
        hits.push(request.headers.get("apca-api-secret-key"));
        return Response.json({});
      },
    });
    const provider = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => Response.redirect(`http://127.0.0.1:${elsewhere.port}/steal`, 302),
    });
    servers.push(elsewhere, provider);
    const http = createHttpSource({
      name: "alpaca",
      log: captureLog().log,
      ratePerSecond: 100,
      timeoutMs: 1_000,
      retries: 2,
      minRetryDelayMs: 5,
      breakerThreshold: 10,
      breakerResetMs: 1_000,
    });
    try {
      const call = http.getJson(`http://127.0.0.1:${provider.port}/v2/stocks/snapshots`, {
        "APCA-API-SECRET-KEY": "secret-key-value",
      });
      await expect(call).rejects.toBeInstanceOf(PermanentHttpError);
      await expect(call).rejects.toThrow("not followed");
      expect(hits).toEqual([]);
    } finally {
      http.close();
    }
  });
});
