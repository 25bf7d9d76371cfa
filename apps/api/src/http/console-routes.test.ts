import { describe, expect, test } from "bun:test";
import { tickFromJson, toWire } from "@repo/contracts";
import { createLogger } from "@repo/platform/log";
import type { KafkaConsole, KafkaRecord } from "../kafka/console.ts";
import type { WriterTypes } from "../kafka/decode.ts";
import { unitApiApp } from "../testing/unit-api-app.ts";

const _log = createLogger("test", "silent");
const OPERATOR = "op-token-0123456789abcdef";
const auth = { authorization: `Bearer ${OPERATOR}`, "content-type": "application/json" };

const dlqRecord = (offset: bigint, headers: Record<string, string>): KafkaRecord => ({
  partition: 0,
  offset,
  timestamp: Date.parse("2026-01-05T14:30:00Z"),
  key: Buffer.from("AAPL"),
  value: toWire(999, Buffer.from([1, 2, 3])),
  headers: Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]),
});

/** A stand-in for Kafka (unit tests of the HTTP rules only; the real-stack tests use Kafka). */
function fakeKafka(overrides: Partial<KafkaConsole> = {}): KafkaConsole & { produced: unknown[] } {
  const produced: unknown[] = [];
  const letters = [
    dlqRecord(0n, {
      "dlq.reason": "unknown_schema_id: schema id 999 is not in the registry",
      "dlq.source.topic": "market.ticks",
      "dlq.source.partition": "1",
      "dlq.source.offset": "7",
    }),
    dlqRecord(1n, {
      "dlq.reason": "corrupt_avro: too long",
      "dlq.source.topic": "market.ticks",
      "dlq.truncated": "true",
      "dlq.original.size": "2000000",
    }),
  ];
  return {
    produced,
    topics: async () => [],
    offsets: async (topic) =>
      topic === "market.ticks.dlq"
        ? [{ partition: 0, earliest: 0n, latest: 2n }]
        : Array.from({ length: 6 }, (_, partition) => ({ partition, earliest: 0n, latest: 0n })),
    offsetsForTime: async (topic) => new Map(topic === "market.ticks.dlq" ? [[0, 0n]] : []),
    retention: async () => new Map(),
    groups: async () => [
      {
        group: "busy",
        state: "Stable",
        protocol: "cooperative-sticky",
        members: [{ memberId: "m1", clientId: "consumer", host: "/127.0.0.1", assignment: [] }],
      },
    ],
    committed: async (groups) =>
      new Map(groups.map((group) => [group, new Map([["market.ticks", new Map([[0, 5n]])]])])),
    commitOffsets: async () => {},
    read: async (request) => {
      const records = letters.filter(
        (r) => r.offset >= request.from && (request.keep ? request.keep(r) : true),
      );
      return {
        records: records.slice(0, request.limit),
        scanned: records.length,
        next: 2n,
        stopped: "end",
      };
    },
    produce: async (_topic, records) => {
      produced.push(...records);
      return records.map((r, i) => ({ partition: r.partition, offset: String(i) }));
    },
    close: async () => {},
    ...overrides,
  };
}

/** Writer schemas where id 999 is unknown (the registry's 404). */
const unknownIds: WriterTypes = async (id) => {
  throw Object.assign(new Error(`schema id ${id} is not in the registry`), {
    name: "UnknownSchemaError",
  });
};

/** Writer schemas where every id reads as this tick (the schema is known again). */
const readsAs =
  (json: Record<string, unknown>, change: Record<string, unknown> = {}): WriterTypes =>
  async () => {
    const parsed = tickFromJson(json);
    if (!parsed.ok) throw new Error("bad test tick");
    const value = { ...parsed.value, ...change };
    return { decode: (body: Buffer) => ({ value, offset: body.length }) };
  };

const TICK = {
  source: "unit",
  symbol: "AAPL",
  kind: "TRADE",
  eventTime: "2026-01-05T14:30:00Z",
  sequence: 1,
  price: "1.5",
  size: 1,
  ingestTime: "2026-01-05T14:30:00Z",
};

function app(kafka: KafkaConsole, tokens = `ops:${OPERATOR}`, types: WriterTypes = readsAs(TICK)) {
  return unitApiApp({
    tokens,
    console: {
      kafka,
      catalog: {
        subjects: async () => ({ compatibility: null, subjects: [], truncated: false }),
        version: async () => undefined,
      },
      types,
      topics: { ticks: "market.ticks", deadLetter: "market.ticks.dlq" },
      limits: { scanMax: 1000, timeoutMs: 1000, redriveMax: 10 },
      loopbackOnly: false,
    },
  });
}

describe("console routes (HTTP rules, Kafka faked)", () => {
  test("every console route is in /openapi.json", async () => {
    const doc = (await (await app(fakeKafka()).request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const [path, method] of [
      ["/v1/kafka/topics", "get"],
      ["/v1/kafka/groups", "get"],
      ["/v1/kafka/groups/{group}/offsets", "post"],
      ["/v1/kafka/topics/{topic}/messages", "get"],
      ["/v1/kafka/topics/{topic}/tail", "get"],
      ["/v1/kafka/dlq", "get"],
      ["/v1/kafka/dlq/redrive", "post"],
      ["/v1/schemas", "get"],
      ["/v1/schemas/{subject}/versions/{a}/diff/{b}", "get"],
    ] as const)
      expect(doc.paths[path]?.[method]).toBeDefined();
  });

  test("actions need an operator token: 401 without, 401 with a wrong one", async () => {
    const api = app(fakeKafka());
    const body = JSON.stringify({ records: [{ partition: 0, offset: 0 }] });
    const none = await api.request("/v1/kafka/dlq/redrive", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe(
      "operator_token_required",
    );
    const wrong = await api.request("/v1/kafka/dlq/redrive", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer not-the-token-at-all" },
      body,
    });
    expect(wrong.status).toBe(401);
  });

  test("without tokens, actions are for loopback clients only (403 otherwise)", async () => {
    const api = app(fakeKafka(), "");
    const answer = await api.request("/v1/kafka/groups/g/offsets", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ to: "earliest" }),
    });
    expect(answer.status).toBe(403);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("loopback_only");
  });

  test("an offset reset of a group with members is a 409 and commits nothing", async () => {
    let commits = 0;
    const api = app(
      fakeKafka({
        commitOffsets: async () => {
          commits += 1;
        },
      }),
    );
    const answer = await api.request("/v1/kafka/groups/busy/offsets", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ to: "earliest" }),
    });
    expect(answer.status).toBe(409);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("group_active");
    expect(commits).toBe(0);
  });

  test("bad bodies and parameters are 400s naming the field", async () => {
    const api = app(fakeKafka());
    const reset = await api.request("/v1/kafka/groups/busy/offsets", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ to: "timestamp" }),
    });
    expect(reset.status).toBe(400);
    const refusal = (await reset.json()) as { error: { code: string } };
    expect(refusal.error.code).toBe("invalid_request");
    expect(JSON.stringify(refusal)).toContain('"path":"timestamp"');
    const both = await api.request("/v1/kafka/dlq/redrive", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        records: [{ partition: 0, offset: 0 }],
        filter: { from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" },
      }),
    });
    expect(both.status).toBe(400);
    expect(JSON.stringify(await both.json())).toContain('"path":"records"');
    const offset = await api.request("/v1/kafka/topics/market.ticks/messages?offset=3", {
      headers: auth,
    });
    expect(offset.status).toBe(400);
    expect(JSON.stringify(await offset.json())).toContain('"path":"offset"');
    const big = await api.request("/v1/kafka/dlq/redrive", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ records: [], pad: "x".repeat(70_000) }),
    });
    expect(big.status).toBe(413);
  });

  test("a partition the topic lacks is a 400 naming it, for a page and for the live tail", async () => {
    const api = app(fakeKafka());
    const last = await api.request("/v1/kafka/topics/market.ticks/messages?partition=5", {
      headers: auth,
    });
    expect(last.status).toBe(200);
    expect(((await last.json()) as { partitions: number[] }).partitions).toEqual([5]);
    for (const view of ["messages", "tail"]) {
      const beyond = await api.request(`/v1/kafka/topics/market.ticks/${view}?partition=6`, {
        headers: auth,
      });
      expect(beyond.status).toBe(400);
      expect(await beyond.json()).toMatchObject({
        error: {
          issues: [{ path: "partition", message: "the topic has 6 partitions (0-5)" }],
        },
      });
    }
  });

  test("redrive: a dry run sends nothing; a truncated envelope is refused with its reason; the send carries redrive headers", async () => {
    const kafka = fakeKafka();
    const api = app(kafka);
    const post = (body: unknown) =>
      api.request("/v1/kafka/dlq/redrive", {
        method: "POST",
        headers: auth,
        body: JSON.stringify(body),
      });
    const records = [
      { partition: 0, offset: 0 },
      { partition: 0, offset: 1 },
    ];
    const dry = (await (await post({ records })).json()) as {
      dryRun: boolean;
      sendable: number;
      refused: Record<string, number>;
      items: { refused?: { code: string; message: string }; target?: { partition: number } }[];
    };
    expect(dry.dryRun).toBe(true);
    expect(dry.sendable).toBe(1);
    expect(dry.refused).toEqual({ truncated: 1 });
    expect(dry.items[1]?.refused?.message).toContain("truncated");
    expect(kafka.produced).toHaveLength(0);
    const changed = await post({ records, dryRun: false, expect: 2 });
    expect(changed.status).toBe(409);
    const sent = (await (await post({ records, dryRun: false, expect: 1 })).json()) as {
      sent: number;
    };
    expect(sent.sent).toBe(1);
    const record = kafka.produced[0] as { headers: Record<string, string>; key: Buffer };
    expect(record.headers["redrive.from"]).toBe("market.ticks.dlq/0/0");
    expect(record.headers["redrive.by"]).toBe("ops");
    expect(record.key.toString()).toBe("AAPL");
  });

  test("redrive refuses what the consumer would dead-letter again: undecodable, or failing the tick contract", async () => {
    const post = (api: ReturnType<typeof app>) =>
      api.request("/v1/kafka/dlq/redrive", {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ records: [{ partition: 0, offset: 0 }] }),
      });
    const unknown = (await (
      await post(app(fakeKafka(), `ops:${OPERATOR}`, unknownIds))
    ).json()) as {
      sendable: number;
      items: { refused?: { code: string; message: string } }[];
    };
    expect(unknown.sendable).toBe(0);
    expect(unknown.items[0]?.refused?.code).toBe("still_undecodable");
    expect(unknown.items[0]?.refused?.message).toContain("unknown_schema_id");
    const hourAhead = (Date.now() + 3_600_000) * 1000;
    const invalid = (await (
      await post(app(fakeKafka(), `ops:${OPERATOR}`, readsAs(TICK, { eventTime: hourAhead })))
    ).json()) as { sendable: number; items: { refused?: { code: string; message: string } }[] };
    expect(invalid.sendable).toBe(0);
    expect(invalid.items[0]?.refused?.code).toBe("still_invalid");
    expect(invalid.items[0]?.refused?.message).toContain("eventTime");
  });

  test("a page merged from several partitions by time tells where each partition continues", async () => {
    const base = Date.parse("2026-01-05T14:30:00Z");
    const api = app(
      fakeKafka({
        offsets: async () => [
          { partition: 0, earliest: 0n, latest: 3n },
          { partition: 1, earliest: 0n, latest: 3n },
        ],
        offsetsForTime: async () =>
          new Map([
            [0, 0n],
            [1, 0n],
          ]),
        read: async (request) => {
          const records = [0n, 1n, 2n].map((offset) => ({
            partition: request.partition,
            offset,
            timestamp: base + Number(offset) * 10 + request.partition * 5,
            key: Buffer.from("AAPL"),
            value: null,
            headers: [],
          }));
          return { records, scanned: 3, next: 3n, stopped: "end" };
        },
      }),
    );
    const answer = (await (
      await api.request(
        "/v1/kafka/topics/market.ticks/messages?timestamp=2026-01-05T14:30:00Z&limit=3",
        { headers: auth },
      )
    ).json()) as {
      messages: { partition: number; offset: number }[];
      next: Record<string, number>;
    };
    expect(answer.messages.map((m) => `${m.partition}/${m.offset}`)).toEqual(["0/0", "1/0", "0/1"]);
    expect(answer.next).toEqual({ "0": 2, "1": 1 });
  });

  test("the dead-letter view shows an undecodable value in hex with the reason, errors without driver text", async () => {
    const api = app(fakeKafka(), `ops:${OPERATOR}`, unknownIds);
    const view = (await (await api.request("/v1/kafka/dlq", { headers: auth })).json()) as {
      deadLetters: { reason: string; value: { encoding: string; hex: string; reason: string } }[];
    };
    expect(view.deadLetters[0]?.value).toMatchObject({
      encoding: "hex",
      reason: "unknown_schema_id",
      hex: "00000003e7010203",
    });
    const down = app(
      fakeKafka({
        groups: async () => {
          throw Object.assign(new Error("connect ECONNREFUSED 10.9.9.9:9092"), {
            name: "KafkaUnavailableError",
          });
        },
      }),
    );
    const answer = await down.request("/v1/kafka/groups");
    expect(answer.status).toBe(503);
    expect(await answer.text()).not.toContain("10.9.9.9");
  });
});
