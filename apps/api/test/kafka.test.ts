/**
 * The Kafka console against the real stack: producer, consumer and api on an isolated prefix, ticks
 * posted through the real (librdkafka) producer. Figures are checked against kcat (librdkafka, an
 * independent client) and the Kafka admin API; dead letters are made by the real consumer.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Admin } from "@platformatic/kafka";
import { avroTypeOf, tickFromJson, toWire } from "@repo/contracts";
import {
  brokers,
  eventually,
  produceRaw,
  readTopic,
  registryRequest,
  runCommand,
} from "@repo/testkit";
import { partitionForKey } from "../src/kafka/partitioner.ts";
import { type ApiPipeline, iso, marketTicks, startApiPipeline } from "./support.ts";

const MINUTE_MS = 60_000;
const SYMBOLS = Array.from({ length: 24 }, (_, i) => `S${String(i).padStart(2, "0")}`);
const NOW = Date.now();
const ticks = marketTicks({
  symbols: SYMBOLS,
  fromMs: NOW - 10 * MINUTE_MS,
  toMs: NOW - MINUTE_MS,
  stepMs: 30_000,
  source: "console-test",
  seed: 11,
});
const BROKER = brokers[0] as string;

let run: ApiPipeline;
let ticksTopic: string;
let dlqTopic: string;
const extraSubjects: string[] = [];

interface Message {
  partition: number;
  offset: number;
  timestamp: string;
  key: string | null;
  headers: Record<string, string>;
  value: {
    encoding: string;
    json?: Record<string, unknown>;
    hex?: string;
    reason?: string;
    detail?: string;
  };
}
interface Messages {
  partitions: number[];
  scanned: number;
  stopped: string;
  messages: Message[];
}

const get = async <T>(path: string): Promise<T> => {
  const response = await fetch(`${run.api.url}${path}`);
  if (response.status !== 200)
    throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
};
const post = (path: string, body: unknown) =>
  fetch(`${run.api.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

async function kcat(args: string[]): Promise<string> {
  const result = await runCommand(["kcat", "-b", BROKER, ...args]);
  if (result.code !== 0) throw new Error(`kcat ${args.join(" ")}: ${result.output}`);
  return result.output;
}
/** Offsets kcat (librdkafka) reports for `topic` at `when` (-1 end, -2 beginning, or a time in ms). */
async function kcatOffsets(topic: string, partitions: number, when: number): Promise<number[]> {
  const spec = Array.from({ length: partitions }, (_, p) => ["-t", `${topic}:${p}:${when}`]).flat();
  const text = await kcat(["-Q", ...spec]);
  const offsets: number[] = [];
  for (const match of text.matchAll(/\[(\d+)\] offset (-?\d+)/g))
    offsets[Number(match[1])] = Number(match[2]);
  return offsets;
}

beforeAll(async () => {
  run = await startApiPipeline("console");
  ticksTopic = `${run.pipeline.prefix}market.ticks`;
  dlqTopic = `${run.pipeline.prefix}market.ticks.dlq`;
  await run.post(ticks);
  await run.stored(ticks.length);
}, 240_000);

/** Ticks posted after the first batch (the live tail's), counted in what the consumer stores. */
const TAIL_TICKS = 6;

afterAll(async () => {
  for (const subject of extraSubjects)
    await registryRequest("DELETE", `/mode/${subject}`).catch(() => {});
  await run?.pipeline.close();
});

describe("Kafka console on the real stack", () => {
  test("the producer's keyed records land where the partitioner predicts; a symbol search reads only that partition", async () => {
    const stored = await readTopic(ticksTopic, { untilCount: ticks.length });
    expect(stored).toHaveLength(ticks.length);
    for (const record of stored)
      expect(record.partition).toBe(partitionForKey(record.key?.toString() ?? "", 6) as number);
    const ends = await kcatOffsets(ticksTopic, 6, -1);
    for (const symbol of SYMBOLS.slice(0, 8)) {
      const partition = partitionForKey(symbol, 6) as number;
      const answer = await get<Messages>(
        `/v1/kafka/topics/${ticksTopic}/messages?symbol=${symbol}&limit=1000`,
      );
      expect(answer.partitions).toEqual([partition]);
      expect(answer.scanned).toBe(ends[partition] as number);
      const expected = ticks.filter((t) => t.symbol === symbol).length;
      expect(answer.messages).toHaveLength(expected);
      for (const m of answer.messages) {
        expect(m.key).toBe(symbol);
        expect(m.partition).toBe(partition);
        expect(m.value.encoding).toBe("json");
        expect(m.value.json?.symbol).toBe(symbol);
      }
    }
  });

  test("the live tail (SSE) sends records appended after it opened, of the symbol's partition only", async () => {
    const controller = new AbortController();
    const response = await fetch(`${run.api.url}/v1/kafka/topics/${ticksTopic}/tail?symbol=S01`, {
      headers: { accept: "text/event-stream" },
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const until = async (done: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!done() && Date.now() < deadline) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
      }
      return done();
    };
    const tailed = () => text.split("console-tail").length - 1;
    expect(await until(() => text.includes("event: ready"))).toBe(true);
    const fresh = marketTicks({
      symbols: ["S01", "S02"],
      fromMs: Date.now() - 30_000,
      toMs: Date.now(),
      stepMs: 10_000,
      source: "console-tail",
      seed: 3,
    });
    await run.post(fresh);
    expect(await until(() => tailed() >= 3)).toBe(true);
    controller.abort();
    const events = text
      .split("\n")
      .filter((line) => line.startsWith("data:") && line.includes("console-tail"))
      .map((line) => JSON.parse(line.slice(5)) as Message);
    expect(events).toHaveLength(3);
    for (const event of events) {
      expect(event.key).toBe("S01");
      expect(event.partition).toBe(partitionForKey("S01", 6) as number);
    }
  });

  test("topics: partitions, earliest/latest offsets and rates match kcat; retention is the declared one", async () => {
    const { topics } = await get<{
      topics: {
        name: string;
        partitions: { partition: number; earliest: number; latest: number }[];
        records: number;
        retentionMs: number;
        perSecond: { last1m: number; last5m: number };
      }[];
    }>(`/v1/kafka/topics?prefix=${run.pipeline.prefix}`);
    const names = topics.map((t) => t.name);
    expect(names).toEqual([...names].sort());
    for (const name of [`${run.pipeline.prefix}market.bars.1m`, ticksTopic, dlqTopic])
      expect(names).toContain(name);
    const topic = topics.find((t) => t.name === ticksTopic);
    const [latest, earliest] = await Promise.all([
      kcatOffsets(ticksTopic, 6, -1),
      kcatOffsets(ticksTopic, 6, -2),
    ]);
    expect(topic?.partitions.map((p) => p.latest)).toEqual(latest);
    expect(topic?.partitions.map((p) => p.earliest)).toEqual(earliest);
    expect(topic?.retentionMs).toBe(7 * 86_400_000);
    const total = latest.reduce((a, b) => a + b, 0);
    expect(topic?.records).toBe(total);
    // Every record was appended within the last five minutes of this run.
    expect(Math.abs((topic?.perSecond.last5m ?? 0) * 300 - total)).toBeLessThan(1);
  });

  test("seek by offset reads from it; seek by timestamp lands on the first record at or after it (as kcat finds it)", async () => {
    const partition = partitionForKey("S00", 6) as number;
    const all = await get<Messages>(
      `/v1/kafka/topics/${ticksTopic}/messages?partition=${partition}&offset=0&limit=1000`,
    );
    expect(all.messages.length).toBeGreaterThan(10);
    const byOffset = await get<Messages>(
      `/v1/kafka/topics/${ticksTopic}/messages?partition=${partition}&offset=5&limit=3`,
    );
    expect(byOffset.messages.map((m) => m.offset)).toEqual([5, 6, 7]);
    const middle = all.messages[Math.floor(all.messages.length / 2)] as Message;
    const at = Date.parse(middle.timestamp);
    const seek = await get<Messages>(
      `/v1/kafka/topics/${ticksTopic}/messages?partition=${partition}&timestamp=${iso(at)}&limit=1`,
    );
    const expected = (await kcatOffsets(ticksTopic, 6, at))[partition];
    expect(seek.messages[0]?.offset).toBe(expected as number);
    expect(Date.parse(seek.messages[0]?.timestamp ?? "")).toBeGreaterThanOrEqual(at);
    const ndjson = await fetch(
      `${run.api.url}/v1/kafka/topics/${ticksTopic}/messages?partition=${partition}&offset=0&limit=5000&format=ndjson`,
    );
    expect(ndjson.headers.get("content-type")).toContain("application/x-ndjson");
    const lines = (await ndjson.text()).trim().split("\n");
    expect(lines).toHaveLength(all.messages.length);
    expect(JSON.parse(lines[0] as string).offset).toBe(0);
  });

  test("a record that cannot be decoded is shown in hex with the reason, and its dead letter with reason and origin", async () => {
    const before = await kcatOffsets(ticksTopic, 6, -1);
    const poison = Buffer.from('{"symbol":"S00","price":"1.0"}');
    await produceRaw(ticksTopic, [{ key: "S00", value: poison, partition: 0 }]);
    const offset = before[0] as number;
    const read = await get<Messages>(
      `/v1/kafka/topics/${ticksTopic}/messages?partition=0&offset=${offset}&limit=1`,
    );
    expect(read.messages[0]?.value).toMatchObject({
      encoding: "hex",
      hex: poison.toString("hex"),
      reason: "not_wire_format",
    });
    const letter = await eventually(
      async () => {
        const view = await get<{
          deadLetters: {
            reason: string;
            detail: string;
            source: { topic: string; partition: number; offset: number };
            value: { encoding: string; hex?: string };
          }[];
        }>("/v1/kafka/dlq?limit=100");
        return view.deadLetters.find((d) => d.source.offset === offset && d.source.partition === 0);
      },
      { timeoutMs: 30_000, message: "the poison record never appeared in the dead-letter view" },
    );
    expect(letter.source.topic).toBe(ticksTopic);
    expect(letter.reason.length).toBeGreaterThan(0);
    expect(letter.detail.length).toBeGreaterThan(0);
    expect(letter.value).toMatchObject({ encoding: "hex", hex: poison.toString("hex") });
  });

  test("redrive: a tick dead-lettered for an unknown schema id is stored once after the schema is known; dry run first, a second redrive changes nothing", async () => {
    await run.stored(ticks.length + TAIL_TICKS);
    const prefix = run.pipeline.prefix;
    const tickSubject = `${prefix}market.ticks-value`;
    const tickSchema = String(
      (await registryRequest("GET", `/subjects/${tickSubject}/versions/latest`)).schema,
    );
    // An id just past the registry's sequence, which IMPORT mode can later register under it.
    const probeSubject = `${prefix}probe-value`;
    const probe = await registryRequest("POST", `/subjects/${probeSubject}/versions`, {
      schema: JSON.stringify({
        type: "record",
        name: `Probe${Date.now()}`,
        fields: [{ name: "a", type: "int" }],
      }),
    });
    const unknownId = Number(probe.id) + 20 + Math.floor(Math.random() * 20);
    const symbol = "REDRV";
    const eventMs = NOW - 2 * MINUTE_MS;
    const json = {
      source: "console-test",
      symbol,
      kind: "TRADE",
      eventTime: iso(eventMs),
      sequence: 1,
      price: "42.000001",
      size: 7,
      exchange: "XNAS",
      ingestTime: iso(eventMs),
    };
    const parsed = tickFromJson(json);
    if (!parsed.ok) throw new Error(`bad test tick: ${JSON.stringify(parsed)}`);
    const body = avroTypeOf(JSON.parse(tickSchema)).toBuffer(parsed.value);
    const partition = partitionForKey(symbol, 6) as number;
    const sentAt = Date.now();
    await produceRaw(ticksTopic, [{ key: symbol, value: toWire(unknownId, body), partition }]);
    const filter = {
      reason: "unknown_schema_id",
      from: iso(sentAt - 1_000),
      to: iso(Date.now() + 60_000),
    };

    await eventually(
      async () => {
        const view = await get<{ deadLetters: { key: string }[] }>(
          "/v1/kafka/dlq?reason=unknown_schema_id",
        );
        return view.deadLetters.find((d) => d.key === symbol);
      },
      { timeoutMs: 30_000, message: "the unknown-schema record was not dead-lettered" },
    );
    const endsBefore = await kcatOffsets(ticksTopic, 6, -1);
    type Plan = {
      dryRun: boolean;
      sendable: number;
      sent: number;
      refused: Record<string, number>;
      items: {
        target?: { topic: string; partition: number };
        key: string;
        refused?: { code: string; message: string };
      }[];
    };
    // While the cause is there, the dry run says the record would be dead-lettered again.
    const early = (await (await post("/v1/kafka/dlq/redrive", { filter })).json()) as Plan;
    expect(early).toMatchObject({
      dryRun: true,
      sendable: 0,
      sent: 0,
      refused: { still_undecodable: 1 },
    });
    expect(early.items[0]?.refused?.message).toContain("unknown_schema_id");

    // The cause goes away: the schema id becomes known (Confluent IMPORT mode).
    const importSubject = `${prefix}import-value`;
    extraSubjects.push(importSubject);
    await registryRequest("PUT", `/mode/${importSubject}?force=true`, { mode: "IMPORT" });
    await registryRequest("POST", `/subjects/${importSubject}/versions`, {
      schema: tickSchema,
      id: unknownId,
    });

    const dry = (await (await post("/v1/kafka/dlq/redrive", { filter })).json()) as Plan;
    expect(dry).toMatchObject({ dryRun: true, sendable: 1, sent: 0 });
    expect(dry.items[0]?.target).toEqual({ topic: ticksTopic, partition });
    expect(await kcatOffsets(ticksTopic, 6, -1)).toEqual(endsBefore);

    const written = (await run.pipeline.consumer.json<{ records: { written: number } }>("/stats"))
      .records.written;
    const send = await post("/v1/kafka/dlq/redrive", { filter, dryRun: false, expect: 1 });
    expect(send.status).toBe(200);
    const sent = (await send.json()) as { sent: number; items: { sentOffset?: number }[] };
    expect(sent.sent).toBe(1);
    await run.stored(written + 1);
    const day = new Date(eventMs).toISOString().slice(0, 10);
    const rows = async () =>
      (
        await run.pipeline.db.execute(
          "SELECT symbol, sequence, price FROM ticks WHERE symbol = ? AND day = ?",
          [symbol, day],
          { prepare: true },
        )
      ).rows;
    expect((await rows()).map((r) => [r.symbol, Number(r.sequence), String(r.price)])).toEqual([
      [symbol, 1, "42.000001"],
    ]);
    const redriven = await get<Messages>(
      `/v1/kafka/topics/${ticksTopic}/messages?partition=${partition}&offset=${sent.items[0]?.sentOffset}&limit=1`,
    );
    expect(redriven.messages[0]?.headers["redrive.from"]).toMatch(
      new RegExp(`^${dlqTopic.replace(/\./g, "\\.")}/\\d+/\\d+$`),
    );
    expect(redriven.messages[0]?.value.encoding).toBe("json");

    const again = (await (
      await post("/v1/kafka/dlq/redrive", { filter, dryRun: false })
    ).json()) as {
      sent: number;
    };
    expect(again.sent).toBe(1);
    await run.stored(written + 2);
    expect(await rows()).toHaveLength(1);
  }, 120_000);

  test("schemas: subjects with versions and compatibility; a field-level diff between two versions", async () => {
    const subject = `${run.pipeline.prefix}diffdemo-value`;
    await registryRequest("PUT", `/config/${subject}`, { compatibility: "NONE" });
    const v1 = { type: "record", name: "Demo", fields: [{ name: "a", type: "int" }] };
    const v2 = {
      type: "record",
      name: "Demo",
      fields: [
        { name: "a", type: "long" },
        { name: "b", type: ["null", "string"], default: null },
      ],
    };
    await registryRequest("POST", `/subjects/${subject}/versions`, { schema: JSON.stringify(v1) });
    await registryRequest("POST", `/subjects/${subject}/versions`, { schema: JSON.stringify(v2) });
    const { subjects } = await get<{
      subjects: { subject: string; versions: number[]; compatibility: string }[];
    }>("/v1/schemas");
    expect(subjects.find((s) => s.subject === subject)).toMatchObject({
      versions: [1, 2],
      compatibility: "NONE",
    });
    expect(
      subjects.find((s) => s.subject === `${run.pipeline.prefix}market.ticks-value`)?.compatibility,
    ).toBe("FULL_TRANSITIVE");
    const diff = await get<{ changes: unknown[] }>(
      `/v1/schemas/${encodeURIComponent(subject)}/versions/1/diff/2`,
    );
    expect(diff.changes).toEqual([
      { path: "a", change: "type_changed", from: "int", to: "long" },
      { path: "b", change: "added", type: "null | string", default: null },
    ]);
    const missing = await fetch(
      `${run.api.url}/v1/schemas/${encodeURIComponent(subject)}/versions/1/diff/9`,
    );
    expect(missing.status).toBe(404);
    expect(JSON.stringify(await missing.json())).toContain('"path":"b"');
  });

  test("groups: lag per partition matches Kafka; an offset reset is refused while the group is active and applied once it is not", async () => {
    const group = run.pipeline.group;
    const active = await post(`/v1/kafka/groups/${group}/offsets`, { to: "earliest" });
    expect(active.status).toBe(409);
    expect(((await active.json()) as { error: { code: string } }).error.code).toBe("group_active");

    await run.pipeline.consumer.stop();
    type Groups = {
      groups: {
        state: string;
        members: unknown[];
        partitions: {
          topic: string;
          partition: number;
          committed: number;
          latest: number;
          lag: number;
          lagSeconds: number | null;
        }[];
        lag: { records: number };
      }[];
    };
    await eventually(
      async () => {
        const { groups } = await get<Groups>(`/v1/kafka/groups?group=${group}`);
        return groups[0]?.members.length === 0 && groups[0].state === "Empty" ? true : undefined;
      },
      { timeoutMs: 60_000, message: "the group did not become empty after its consumer stopped" },
    );
    const partition = partitionForKey("S00", 6) as number;
    const all = await get<Messages>(
      `/v1/kafka/topics/${ticksTopic}/messages?partition=${partition}&offset=0&limit=1000`,
    );
    const at = Date.parse((all.messages[Math.floor(all.messages.length / 2)] as Message).timestamp);
    const reset = await post(`/v1/kafka/groups/${group}/offsets`, {
      to: "timestamp",
      timestamp: iso(at),
      topic: ticksTopic,
    });
    expect(reset.status).toBe(200);

    const expected = await kcatOffsets(ticksTopic, 6, at);
    const ends = await kcatOffsets(ticksTopic, 6, -1);
    const admin = new Admin({ clientId: "console-test", bootstrapBrokers: brokers });
    try {
      const [offsets] = await admin.listConsumerGroupOffsets({ groups: [group] });
      const committed = offsets?.topics.find((t) => t.name === ticksTopic)?.partitions ?? [];
      for (const p of committed)
        expect(Number(p.committedOffset)).toBe(
          (expected[p.partitionIndex] as number) < 0
            ? (ends[p.partitionIndex] as number)
            : (expected[p.partitionIndex] as number),
        );
      const answeredAt = Date.now();
      const { groups } = await get<Groups>(`/v1/kafka/groups?group=${group}`);
      const shown = groups[0]?.partitions.filter((p) => p.topic === ticksTopic) ?? [];
      expect(shown).toHaveLength(6);
      for (const p of shown) {
        const kafkaCommitted = Number(
          committed.find((c) => c.partitionIndex === p.partition)?.committedOffset,
        );
        expect(p.committed).toBe(kafkaCommitted);
        expect(p.latest).toBe(ends[p.partition] as number);
        expect(p.lag).toBe((ends[p.partition] as number) - kafkaCommitted);
      }
      const lagging = shown.find((p) => p.partition === partition);
      expect(lagging?.lag).toBeGreaterThan(0);
      const oldest = all.messages.find((m) => m.offset === lagging?.committed) as Message;
      expect(lagging?.lagSeconds).toBeCloseTo(
        (answeredAt - Date.parse(oldest.timestamp)) / 1000,
        0,
      );
    } finally {
      await admin.close();
    }
  }, 120_000);
});
