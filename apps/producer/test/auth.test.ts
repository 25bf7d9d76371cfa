import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { childEnv, freePort, type RunningService, stackEnv } from "@repo/testkit";
import type { ProducerStats } from "../src/stats.ts";
import { isolatedProducer, tickJson } from "./harness.ts";

const ingestToken = "ingest-5a7d9c1e3b5f7a9c1e3b5f7a";
const opsToken = "ops-2b4d6f8a0c2e4a6c8e0a2c4e6a";
let producer: RunningService;

beforeAll(async () => {
  ({ producer } = await isolatedProducer({
    PRODUCER_TOKENS: `ingest:${ingestToken}:market.ticks,ops:${opsToken}`,
  }));
}, 120_000);

afterAll(async () => {
  await producer?.stop();
});

/** A write with the given headers; the body is one valid tick unless given. */
async function write(
  topic: string,
  headers: Record<string, string>,
  body: string = JSON.stringify({ records: [{ value: tickJson("AAPL", 1) }] }),
) {
  const response = await fetch(`${producer.url}/v1/topics/${topic}/records`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const json = (await response.json()) as { error?: { code: string }; offsets?: unknown[] };
  return { status: response.status, headers: response.headers, json };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("producer writes need a bearer token from PRODUCER_TOKENS", () => {
  test("no token → 401 with a Bearer challenge; a wrong token → 401", async () => {
    const none = await write("market.ticks", {});
    expect(none.status).toBe(401);
    expect(none.json.error?.code).toBe("unauthenticated");
    expect(none.headers.get("www-authenticate")).toStartWith("Bearer");
    const wrong = await write("market.ticks", bearer(`${ingestToken}x`));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain("invalid_token");
    const basic = await write("market.ticks", {
      authorization: `Basic ${btoa(`x:${ingestToken}`)}`,
    });
    expect(basic.status).toBe(401);
  });

  test("a valid token writes ticks and Kafka acknowledges them", async () => {
    const ok = await write("market.ticks", bearer(ingestToken));
    expect(ok.status).toBe(200);
    expect(ok.json.offsets).toHaveLength(1);
  });

  test("bars and dead letters are the consumer's: 403 for every token", async () => {
    for (const token of [ingestToken, opsToken])
      for (const topic of ["market.bars.1m", "market.ticks.dlq"]) {
        const refused = await write(
          topic,
          bearer(token),
          JSON.stringify({ records: [{ value: {} }] }),
        );
        expect(refused.status).toBe(403);
        expect(refused.json.error?.code).toBe("topic_not_writable");
      }
  });

  test("a browser's forms-style post (text/plain) is 415 and a foreign Origin 403, token or not", async () => {
    const plain = await write("market.ticks", {
      ...bearer(ingestToken),
      "content-type": "text/plain",
    });
    expect(plain.status).toBe(415);
    const foreign = await write("market.ticks", {
      ...bearer(ingestToken),
      origin: "https://evil.example",
    });
    expect(foreign.status).toBe(403);
    expect(foreign.json.error?.code).toBe("origin_not_allowed");
  });

  test("/stats counts writes by token name and refusals by reason; no token appears in /stats or the log", async () => {
    const stats = await producer.json<ProducerStats>("/stats");
    expect(stats.auth.mode).toBe("bearer tokens");
    expect(stats.auth.tokens).toEqual(["ingest", "ops"]);
    expect(stats.auth.requestsByToken.ingest).toBe(1);
    expect(stats.auth.refused).toMatchObject({
      missing_token: 2,
      unknown_token: 1,
      topic_not_writable: 4,
    });
    const metrics = await (await fetch(`${producer.url}/metrics`)).text();
    expect(metrics).toContain('marketpipe_producer_auth_requests_total{token="ingest"} 1');
    const everything = `${JSON.stringify(stats)}\n${metrics}\n${producer.output()}`;
    for (const token of [ingestToken, opsToken]) expect(everything).not.toContain(token);
    expect(producer.output()).toContain('"tokenName":"ingest"');
  });
});

describe("without tokens the producer serves loopback only", () => {
  test("it refuses to start on a non-loopback HOST, naming PRODUCER_TOKENS (exit 2)", async () => {
    const child = Bun.spawn(["node", resolve(import.meta.dir, "../dist/main.js")], {
      cwd: resolve(import.meta.dir, ".."),
      env: childEnv({
        ...stackEnv,
        HOST: "0.0.0.0",
        PORT: String(await freePort()),
        PRODUCER_TOKENS: "",
      }),
      stdout: "pipe",
      stderr: "pipe",
    });
    const code = await child.exited;
    const stderr = await new Response(child.stderr).text();
    expect(code).toBe(2);
    expect(stderr).toContain(
      "PRODUCER_TOKENS (unset): required when HOST (0.0.0.0) is not a loopback address",
    );
  });
});
