import { describe, expect, test } from "bun:test";
import { ProduceError } from "@repo/kafka-node/errors";
import type { OutgoingMessage } from "@repo/kafka-node/types";
import { ApiError } from "@repo/platform/http";
import { createStats } from "@repo/platform/stats";
import {
  RegistryAccessError,
  RegistryUnavailableError,
  RegistryUrlError,
  UnknownSubjectError,
  UnsupportedSchemaError,
} from "@repo/registry";
import { createPublisher, type RecordSink, type WireEncoder } from "./publish.ts";

const tick = (symbol: string, sequence: number) => ({
  source: "simulator",
  symbol,
  kind: "TRADE",
  eventTime: "2026-01-05T14:30:00.000001Z",
  sequence,
  price: "187.25",
  size: 100,
  ingestTime: "2026-01-05T14:30:00.000002Z",
});

const encoder: WireEncoder = {
  idFor: async (subject) =>
    subject.endsWith("market.ticks-value") ? 9 : Promise.reject(new UnknownSubjectError(subject)),
  encode: async (id, value) => Buffer.from(JSON.stringify({ id, value })),
};

function recordingSink(fail?: ProduceError) {
  const produced: ({ topic: string } & OutgoingMessage)[] = [];
  const sink: RecordSink = {
    async produceBatch(topic, messages) {
      if (fail) throw fail;
      produced.push(...messages.map((m) => ({ topic, ...m })));
      return messages.map((_, i) => ({ partition: i % 3, offset: String(i) }));
    },
  };
  return { sink, produced };
}

/** A publisher over a recording sink, with its own stats. */
function recordingPublisher() {
  const { sink, produced } = recordingSink();
  const stats = createStats();
  const publish = createPublisher({ topicPrefix: "", sink, encoder, stats, retryAfterSeconds: 3 });
  return { publish, produced, stats };
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("publish", () => {
  test("produces to the prefixed topic, keyed by the symbol, answering offsets in request order", async () => {
    const { sink, produced } = recordingSink();
    const publish = createPublisher({
      topicPrefix: "t1.",
      sink,
      encoder,
      stats: createStats(),
      retryAfterSeconds: 3,
    });
    const offsets = await publish("market.ticks", [
      { value: tick("AAPL", 1) },
      { key: "MSFT", value: tick("MSFT", 2) },
    ]);
    expect(offsets).toEqual([
      { partition: 0, offset: "0" },
      { partition: 1, offset: "1" },
    ]);
    expect(produced.map((m) => [m.topic, m.key])).toEqual([
      ["t1.market.ticks", "AAPL"],
      ["t1.market.ticks", "MSFT"],
    ]);
    expect(JSON.parse(produced[0]?.value.toString() ?? "")).toMatchObject({
      id: 9,
      value: { eventTime: 1767623400000001 },
    });
  });

  test("a key that differs from the symbol → 422 at records[i].key, counted by field, nothing produced", async () => {
    const { publish, produced, stats } = recordingPublisher();
    const error = await failure(
      publish("market.ticks", [
        { value: tick("AAPL", 1) },
        { key: "AAPL", value: tick("MSFT", 2) },
      ]),
    );
    expect(error.status).toBe(422);
    expect(error.details).toEqual({
      records: [
        {
          index: 1,
          path: "records[1].key",
          message:
            "must equal the value's symbol (MSFT) or be omitted: records are keyed by symbol",
        },
      ],
    });
    expect(produced).toEqual([]);
    expect(stats.counters("invalidByField.")).toEqual({ key: 1 });
  });

  test("one invalid record → 422 with its index and path, and nothing reaches the sink", async () => {
    const { publish, produced, stats } = recordingPublisher();
    const error = await failure(
      publish("market.ticks", [
        { value: tick("AAPL", 1) },
        { value: { ...tick("AAPL", 2), price: "1.2.3" } },
      ]),
    );
    expect(error.status).toBe(422);
    expect(error.details.records).toEqual([
      { index: 1, path: "records[1].value.price", message: expect.any(String) },
    ]);
    expect(produced).toHaveLength(0);
    expect(stats.counters("records.")).toMatchObject({ rejected: 2, invalid: 1 });
  });

  test("unknown topics and unregistered subjects → 404 naming them", async () => {
    const publish = createPublisher({
      topicPrefix: "x.",
      sink: recordingSink().sink,
      encoder: { ...encoder, idFor: async (s) => Promise.reject(new UnknownSubjectError(s)) },
      stats: createStats(),
      retryAfterSeconds: 3,
    });
    expect((await failure(publish("market.quotes", [{ value: tick("AAPL", 1) }]))).details).toEqual(
      { topic: "market.quotes" },
    );
    const unregistered = await failure(publish("market.ticks", [{ value: tick("AAPL", 1) }]));
    expect([unregistered.status, unregistered.code, unregistered.details.subject]).toEqual([
      404,
      "unknown_subject",
      "x.market.ticks-value",
    ]);
  });

  test("a full local queue → 429 with Retry-After; a delivery timeout → 503 with Retry-After and the failures counted", async () => {
    const stats = createStats();
    const full = createPublisher({
      topicPrefix: "",
      sink: recordingSink(new ProduceError("queue_full", "local queue is full")).sink,
      encoder,
      stats,
      retryAfterSeconds: 3,
    });
    const throttled = await failure(full("market.ticks", [{ value: tick("AAPL", 1) }]));
    expect([throttled.status, throttled.code, throttled.headers["Retry-After"]]).toEqual([
      429,
      "queue_full",
      "3",
    ]);

    const slow = createPublisher({
      topicPrefix: "",
      sink: recordingSink(new ProduceError("timeout", "Local: Message timed out", 1)).sink,
      encoder,
      stats,
      retryAfterSeconds: 3,
    });
    const timedOut = await failure(
      slow("market.ticks", [{ value: tick("AAPL", 1) }, { value: tick("AAPL", 2) }]),
    );
    expect([timedOut.status, timedOut.code, timedOut.headers["Retry-After"]]).toEqual([
      503,
      "delivery_timeout",
      "3",
    ]);
    expect(stats.counters("records.")).toMatchObject({
      throttled: 1,
      accepted: 2,
      delivered: 1,
      failed: 1,
    });
  });

  test("the registry's state is a 503 to retry, never a 422 blaming the records", async () => {
    const { sink, produced } = recordingSink();
    for (const refusal of [
      new RegistryUnavailableError("GET /schemas/ids/9", new Error("no answer within 5000 ms")),
      new RegistryUnavailableError("GET /schemas/ids/9", new Error("HTTP 500"), { status: 500 }),
      new RegistryAccessError(403, "HTTP 403 for GET /schemas/ids/9"),
      new RegistryUrlError("http://127.0.0.1:8081/wrong", "GET /schemas/ids/9 answered 404"),
    ]) {
      const publish = createPublisher({
        topicPrefix: "",
        sink,
        encoder: { ...encoder, encode: async () => Promise.reject(refusal) },
        stats: createStats(),
        retryAfterSeconds: 3,
      });
      const error = await failure(publish("market.ticks", [{ value: tick("AAPL", 1) }]));
      expect([error.status, error.code]).toEqual([503, "registry_unavailable"]);
      expect(error.headers?.["Retry-After"]).toBe("5");
    }
    expect(produced).toHaveLength(0);
  });

  test("a registered schema that is not Avro is a 500 naming the subject, not the records' fault", async () => {
    const { sink } = recordingSink();
    const publish = createPublisher({
      topicPrefix: "",
      sink,
      encoder: {
        ...encoder,
        encode: async () => Promise.reject(new UnsupportedSchemaError(9, "is PROTOBUF, not AVRO")),
      },
      stats: createStats(),
      retryAfterSeconds: 3,
    });
    const error = await failure(publish("market.ticks", [{ value: tick("AAPL", 1) }]));
    expect([error.status, error.code]).toEqual([500, "schema_unusable"]);
    expect(error.message).toContain("PROTOBUF");
  });
});
