/**
 * The api's HTTP edge against careless clients and a lost Cassandra, on the real stack: ticks go
 * through the producer and consumer into an isolated keyspace, the api streams them. Every client
 * here is on loopback and every wait is bounded, so the file stops by itself.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import {
  eventually,
  freePort,
  type RunningService,
  stackEnv,
  startRelay,
  startService,
} from "@repo/testkit";
import type { ApiStats } from "../src/stats.ts";
import {
  type ApiPipeline,
  iso,
  openRawStream,
  openStream,
  type RawStream,
  startApiPipeline,
} from "./support.ts";

/** Symbols that change every round, so a client of every symbol gets ~600 events per round. */
const LIVE = Array.from({ length: 300 }, (_, i) => `LV${i}`);
const MAX_CLIENTS = 250;
const WRITE_TIMEOUT_MS = 3_000;

let run: ApiPipeline;
let sequence = 0;

/** One tick per LIVE symbol (or those given) at about now; resolves when Kafka has them. */
async function postRound(symbols = LIVE, price = () => (100 + Math.random()).toFixed(6)) {
  const eventTime = iso(Date.now() - 500, sequence % 1000);
  const ticks = symbols.map((symbol) => {
    sequence += 1;
    return {
      source: "edge-test",
      symbol,
      kind: "TRADE",
      eventTime,
      sequence,
      price: price(),
      size: 1 + (sequence % 100),
      ingestTime: eventTime,
    };
  });
  await run.post(ticks);
  return ticks.length;
}

const stats = () => run.api.json<ApiStats>("/stats");

/** Resident memory of a process in bytes (Linux `/proc`). */
function rssBytes(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(line?.[1] ?? 0) * 1024;
}

const MB = 1024 * 1024;

beforeAll(async () => {
  run = await startApiPipeline("edge", {
    API_STREAM_MAX_CLIENTS: String(MAX_CLIENTS),
    API_STREAM_WRITE_TIMEOUT_MS: String(WRITE_TIMEOUT_MS),
    API_STREAM_RETRY_MS: "2000",
  });
  const written = await postRound();
  await run.stored(written);
}, 240_000);

afterAll(async () => {
  await run?.pipeline.close();
}, 60_000);

describe("streams under careless clients", () => {
  test("150 HEAD /v1/stream take no stream slot: a GET stream afterwards receives events", async () => {
    for (let batch = 0; batch < 3; batch += 1) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => fetch(`${run.api.url}/v1/stream`, { method: "HEAD" })),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.headers.get("content-type")).toBe("text/event-stream");
      }
    }
    expect((await stats()).stream.clients).toBe(0);
    const stream = await openStream(`${run.api.url}/v1/stream?symbols=LV0`);
    try {
      await stream.next((e) => e.event === "quote", "the current LV0 quote was not sent");
      const price = "150.151515";
      await postRound(["LV0"], () => price);
      await stream.next(
        (e) => e.event === "quote" && JSON.parse(e.data).price === price,
        "the stream did not send the quote posted after the HEAD flood",
      );
    } finally {
      stream.close();
    }
  });

  test("one address may hold API_STREAM_MAX_PER_CLIENT streams, and a stream whose client goes away gives its slot back", async () => {
    const address = "127.0.0.9";
    const streams = await Promise.all(
      Array.from({ length: 10 }, () =>
        openRawStream(port(), "/v1/stream?symbols=LV1", { read: true, localAddress: address }),
      ),
    );
    await eventually(() => (streams.every((s) => s.count("ready") === 1) ? true : undefined), {
      message: "the 10 streams did not all open",
    });
    const eleventh = await openRawStream(port(), "/v1/stream", {
      read: true,
      localAddress: address,
    });
    await eventually(() => (eleventh.count("busy") === 1 ? true : undefined), {
      message: "the 11th stream of one address was not refused with a busy event",
    });
    expect(eleventh.text()).toContain("retry: 2000\nevent: busy\n");
    expect(eleventh.text()).toContain('"code":"too_many_streams_from_client"');
    const plain = await openRawStream(port(), "/v1/stream", {
      read: true,
      localAddress: address,
      accept: "application/json",
    });
    await eventually(() => (plain.closed() || plain.text().includes("}}") ? true : undefined), {
      message: "the 11th plain request of one address got no answer",
    });
    expect(plain.text()).toStartWith("HTTP/1.1 429");
    expect(plain.text()).toMatch(/retry-after: 2\r\n/i);
    expect(plain.text()).toContain('"code":"too_many_streams_from_client"');
    plain.close();
    for (const stream of [...streams, eleventh]) stream.close();
    await eventually(async () => ((await stats()).stream.clients === 0 ? true : undefined), {
      message: "the slots of disconnected streams were not released",
    });
    const again = await openRawStream(port(), "/v1/stream?symbols=LV1", {
      read: true,
      localAddress: address,
    });
    await eventually(() => (again.count("ready") === 1 ? true : undefined), {
      message: "a new stream from the same address was not admitted",
    });
    again.close();
  });

  test("200 streams of which 50 never read: the api's memory stays bounded, the stalled ones are dropped, the readers keep receiving", async () => {
    const readers: RawStream[] = [];
    const stalled: RawStream[] = [];
    for (let i = 0; i < 200; i += 1) {
      // 20 addresses × 10 streams: the per-address cap (10) is met, not exceeded.
      const localAddress = `127.0.1.${1 + (i % 20)}`;
      const read = i % 4 !== 0;
      const stream = await openRawStream(port(), "/v1/stream", { read, localAddress });
      (read ? readers : stalled).push(stream);
    }
    try {
      await eventually(async () => ((await stats()).stream.clients === 200 ? true : undefined), {
        message: "the 200 streams did not all open",
      });
      const before = await stats();
      const rssStart = rssBytes(run.api.pid);
      let rssMax = rssStart;
      let rounds = 0;
      const samples: string[] = [];
      const dropped = (s: ApiStats) =>
        (s.stream.ended.write_timeout ?? 0) +
        (s.stream.ended.slow_client ?? 0) -
        ((before.stream.ended.write_timeout ?? 0) + (before.stream.ended.slow_client ?? 0));
      const started = Date.now();
      // Post rounds until every stalled stream was dropped (their sockets filled, then a write
      // waited API_STREAM_WRITE_TIMEOUT_MS), watching the api's resident memory all along.
      await eventually(
        async () => {
          await postRound();
          rounds += 1;
          rssMax = Math.max(rssMax, rssBytes(run.api.pid));
          const now = await stats();
          samples.push(
            `${(rssBytes(run.api.pid) / MB).toFixed(0)}/${(now.memory.heapUsedBytes / MB).toFixed(0)}`,
          );
          return dropped(now) >= stalled.length ? true : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 200, message: "the 50 stalled streams were not dropped" },
      );
      const after = await stats();
      const marker = "777.777777";
      await postRound(["LV0"], () => marker);
      await eventually(() => (readers.every((r) => r.text().includes(marker)) ? true : undefined), {
        timeoutMs: 60_000,
        message: "a reading stream did not receive the last posted quote",
      });
      rssMax = Math.max(rssMax, rssBytes(run.api.pid));
      const quotes = readers.map((r) => r.count("quote"));
      console.log(
        `200 streams (50 stalled): ${rounds} rounds of ${LIVE.length} ticks in ${Date.now() - started} ms; ` +
          `api RSS ${(rssStart / MB).toFixed(0)} → max ${(rssMax / MB).toFixed(0)} MiB; ` +
          `ended ${JSON.stringify(after.stream.ended)}; quotes per reader min ${Math.min(...quotes)} max ${Math.max(...quotes)}; rss/heap MiB per round ${samples.join(" ")}`,
      );
      expect(after.stream.clients).toBe(150);
      expect(readers.some((r) => r.closed())).toBe(false);
      expect(Math.min(...quotes)).toBeGreaterThanOrEqual(rounds);
      // Generous (measured: +200–270 MiB, the heap itself falling back to ~20 MiB after each GC):
      // 200 sockets with their writes in flight and the collector's slack.
      expect(rssMax - rssStart).toBeLessThan(450 * MB);
    } finally {
      for (const stream of [...readers, ...stalled]) stream.close();
    }
  }, 240_000);
});

describe("the api's shutdown and Cassandra outage", () => {
  test("SIGTERM with streams open ends each with a shutdown event and the api exits 0", async () => {
    const streams = await Promise.all(
      Array.from({ length: 5 }, () => openRawStream(port(), "/v1/stream", { read: true })),
    );
    await eventually(() => (streams.every((s) => s.count("ready") === 1) ? true : undefined), {
      message: "the streams did not open",
    });
    const code = await run.api.stop("SIGTERM", 30_000);
    expect(run.api.output()).not.toContain("shutdown timed out");
    expect(code).toBe(0);
    for (const stream of streams) {
      expect(stream.count("shutdown")).toBe(1);
      expect(stream.text()).toContain("retry: 2000\nevent: shutdown\n");
      stream.close();
    }
  }, 60_000);

  test("with Cassandra cut through a relay the api answers 503 with a code and no driver text", async () => {
    const relayPort = await freePort();
    const cassandraPort = Number(stackEnv.CASSANDRA_CONTACT_POINTS.split(",")[0]?.split(":")[1]);
    let relay = await startRelay(relayPort, cassandraPort);
    let api: RunningService | undefined;
    try {
      api = await startService(
        "api",
        {
          CASSANDRA_KEYSPACE: run.pipeline.keyspace,
          CASSANDRA_CONTACT_POINTS: `127.0.0.1:${relayPort}`,
        },
        { waitFor: "readyz" },
      );
      const url = api.url;
      expect((await fetch(`${url}/v1/quotes?symbols=LV0`)).status).toBe(200);
      await relay.close();
      const outage = await eventually(
        async () => {
          const response = await fetch(`${url}/v1/quotes?symbols=LV0`);
          return response.status === 503 ? response : undefined;
        },
        { timeoutMs: 30_000, message: "the api did not answer 503 with Cassandra cut" },
      );
      expect(outage.headers.get("retry-after")).toBe("5");
      const body = await outage.text();
      expect(JSON.parse(body)).toEqual({
        error: { code: "store_unavailable", message: expect.any(String) },
      });
      expect(body).not.toMatch(
        /host|tried|ECONN|socket|127\.0\.0|9042|NoHostAvailable|driver|<address>/i,
      );
      for (const path of ["/v1/symbols", `/v1/ticks/LV0?from=${iso(Date.now() - 60_000)}`]) {
        const response = await fetch(`${url}${path}`);
        expect(response.status).toBe(503);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
          "store_unavailable",
        );
      }
      relay = await startRelay(relayPort, cassandraPort);
      await eventually(
        async () =>
          (await fetch(`${url}/v1/quotes?symbols=LV0`)).status === 200 ? true : undefined,
        { timeoutMs: 60_000, message: "the api did not recover when Cassandra came back" },
      );
    } finally {
      await api?.stop().catch(() => {});
      await relay.close();
    }
  }, 120_000);
});

/** The api's port (its url is http://127.0.0.1:<port>). */
const port = () => Number(new URL(run.api.url).port);
