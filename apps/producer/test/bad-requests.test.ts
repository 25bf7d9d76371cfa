import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { dropIsolated, type RunningService, startService, uniqueId } from "@repo/testkit";
import type { ProducerStats } from "../src/stats.ts";
import { isolatedProducer, postRecords, tickJson } from "./harness.ts";

let producer: RunningService;
let prefix: string | undefined;

beforeAll(async () => {
  ({ producer, prefix } = await isolatedProducer({ PRODUCER_MAX_RECORDS: "50" }));
}, 120_000);

afterAll(async () => {
  await producer?.stop();
  await dropIsolated({ prefix });
});

describe("bad requests get JSON errors naming what was wrong", () => {
  test("a body that is not JSON → 400 malformed_json", async () => {
    const response = await postRecords(producer, "market.ticks", undefined, '{"records": [');
    expect(response.status).toBe(400);
    expect(response.json.error?.code).toBe("malformed_json");
  });

  test("an empty body → 400 empty_body", async () => {
    const response = await postRecords(producer, "market.ticks", undefined, "");
    expect(response.status).toBe(400);
    expect(response.json.error?.code).toBe("empty_body");
  });

  test("a 2 MiB body → 413 body_too_large", async () => {
    const padding = "x".repeat(2 * 1024 * 1024);
    const response = await postRecords(producer, "market.ticks", {
      records: [{ key: padding, value: tickJson("AAPL", 1) }],
    });
    expect(response.status).toBe(413);
    expect(response.json.error?.code).toBe("body_too_large");
  });

  test("records of the wrong type → 400 invalid_request naming `records`", async () => {
    const response = await postRecords(producer, "market.ticks", { records: "AAPL" });
    expect(response.status).toBe(400);
    expect(response.json.error?.code).toBe("invalid_request");
    expect(response.json.error?.issues).toEqual([
      { path: "records", message: "must be an array of records" },
    ]);
  });

  test("no records, or more than PRODUCER_MAX_RECORDS → 400 naming the limit", async () => {
    const none = await postRecords(producer, "market.ticks", { records: [] });
    expect(none.status).toBe(400);
    expect(none.json.error?.message).toContain("records: must hold at least one record");
    const many = Array.from({ length: 51 }, (_, i) => ({ value: tickJson("AAPL", i) }));
    const tooMany = await postRecords(producer, "market.ticks", { records: many });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error?.message).toContain("at most 50 records");
  });

  test("fields of the wrong type → 422 listing every bad record with its path", async () => {
    const records = [
      { value: tickJson("AAPL", 1) },
      { value: { ...tickJson("AAPL", 2), size: "100" } },
      { value: { ...tickJson("aapl", 3), kind: "CANCEL" } },
    ];
    const response = await postRecords(producer, "market.ticks", { records });
    expect(response.status).toBe(422);
    const paths = response.json.error?.records?.map((r) => `${r.index} ${r.path}`);
    expect(paths).toEqual(
      expect.arrayContaining(["1 records[1].value.size", "2 records[2].value.kind"]),
    );
    expect(paths?.some((p) => p.startsWith("0 "))).toBe(false);
  });

  test("an undeclared topic → 404 unknown_topic; the consumer's bars and DLQ topics → 403", async () => {
    const unknown = await postRecords(producer, "market.trades", {
      records: [{ value: tickJson("AAPL", 1) }],
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: "unknown_topic", topic: "market.trades" });
    for (const topic of ["market.ticks.dlq", "market.bars.1m"]) {
      const refused = await postRecords(producer, topic, { records: [{ value: {} }] });
      expect(refused.status).toBe(403);
      expect(refused.json.error?.code).toBe("topic_not_writable");
    }
  });

  test("a declared topic whose subject has no registered schema → 404 naming the subject", async () => {
    const prefix = `${uniqueId("prod_unreg")}.`;
    const bare = await startService("producer", { TOPIC_PREFIX: prefix });
    try {
      const response = await postRecords(bare, "market.ticks", {
        records: [{ value: tickJson("AAPL", 1) }],
      });
      expect(response.status).toBe(404);
      expect(response.json.error).toMatchObject({
        code: "unknown_subject",
        subject: `${prefix}market.ticks-value`,
      });
    } finally {
      expect(await bare.stop()).toBe(0);
    }
  }, 60_000);

  test("after all of that the service is alive and nothing was produced", async () => {
    expect((await fetch(`${producer.url}/healthz`)).status).toBe(200);
    const stats = await producer.json<ProducerStats>("/stats");
    expect(stats.records).toMatchObject({ accepted: 0, delivered: 0, rejected: 3, invalid: 2 });
  });
});
