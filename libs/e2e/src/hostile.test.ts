/**
 * Hostile clients against the real pipeline (producer → Kafka → consumer → Cassandra): every case
 * that once stalled, froze or corrupted it is refused with a 4xx JSON error naming the field, and
 * thousands of random or mutated request bodies never produce a 5xx. Afterwards a fresh batch of
 * normal ticks is stored and the consumer's lag returns to 0.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { consumerCaughtUp, type Pipeline, startPipeline } from "@repo/testkit";
import fc from "fast-check";
import { storedOutcome } from "./pipeline.ts";

let pipeline: Pipeline;
beforeAll(async () => {
  pipeline = await startPipeline("hostile");
}, 180_000);
afterAll(async () => {
  await pipeline?.close();
}, 60_000);

const minuteAgo = Date.now() - 60_000;
const iso = (ms: number, micros = 0) =>
  new Date(ms).toISOString().replace("Z", `${String(micros).padStart(3, "0")}Z`);

/** A valid trade, `n` spreading its identity and price, dated in the last minute. */
function trade(symbol: string, n: number): Record<string, unknown> {
  return {
    source: "hostile-test",
    symbol,
    kind: "TRADE",
    eventTime: iso(minuteAgo + n, n % 1000),
    sequence: n,
    price: `${100 + (n % 7)}.${String(n).padStart(6, "0").slice(-6)}`,
    size: 1 + (n % 100),
    exchange: "XNAS",
    ingestTime: iso(minuteAgo + n + 1),
  };
}

interface Answer {
  status: number;
  body: {
    offsets?: unknown[];
    error?: { code?: unknown; message?: unknown; records?: { path: string }[] };
  };
}

async function post(body: string, topic = "market.ticks"): Promise<Answer> {
  const response = await fetch(`${pipeline.producer.url}/v1/topics/${topic}/records`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const text = await response.text();
  let parsed: Answer["body"];
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`answer ${response.status} is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, body: parsed };
}

const records = (...values: unknown[]) =>
  JSON.stringify({ records: values.map((value) => ({ value })) });

/** Identities (`source|symbol|eventTime µs|sequence`) of every tick the producer answered 200 for. */
const acceptedIdentities = new Set<string>();
let acceptedByTests = 0;

/** A tick's identity read from the JSON the producer accepted, without the pipeline's own code. */
function identityOf(value: Record<string, unknown>): string {
  const time = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/.exec(String(value.eventTime));
  if (!time) throw new Error(`accepted an eventTime this test cannot read: ${value.eventTime}`);
  const micros = BigInt(Date.parse(`${time[1]}Z`)) * 1000n + BigInt((time[2] ?? "").padEnd(6, "0"));
  return `${value.source}|${value.symbol}|${micros}|${value.sequence}`;
}

function recordAccepted(body: string, answer: Answer) {
  const values = (JSON.parse(body) as { records: { value: Record<string, unknown> }[] }).records;
  expect(answer.body.offsets).toHaveLength(values.length);
  acceptedByTests += values.length;
  for (const { value } of values) acceptedIdentities.add(identityOf(value));
}

test.each([
  [
    "two trades of one minute whose volumes sum beyond a long",
    records(
      { ...trade("AAPL", 1), size: 9_007_199_254_740_990 },
      { ...trade("AAPL", 2), size: 9_007_199_254_740_990 },
    ),
    ["records[0].value.size", "records[1].value.size"],
  ],
  [
    "a tick dated 2250",
    records({ ...trade("AAPL", 3), eventTime: "2250-01-01T00:00:00Z" }),
    ["records[0].value.eventTime"],
  ],
  [
    "an ingestTime in 2250",
    records({ ...trade("AAPL", 4), ingestTime: "2250-01-01T00:00:00Z" }),
    ["records[0].value.ingestTime"],
  ],
  [
    "a JSON-number price with 17 significant digits",
    `{"records":[{"value":${JSON.stringify(trade("AAPL", 5)).replace(/"price":"[^"]*"/, '"price":123456789012.34567')}}]}`,
    ["records[0].value.price"],
  ],
  [
    "an exchange of 100,000 characters",
    records({ ...trade("AAPL", 6), exchange: "X".repeat(100_000) }),
    ["records[0].value.exchange"],
  ],
  [
    "a key that differs from the symbol",
    JSON.stringify({ records: [{ key: "MSFT", value: trade("AAPL", 7) }] }),
    ["records[0].key"],
  ],
])("%s → 422 naming the field", async (_case, body, paths) => {
  const answer = await post(body);
  expect(answer.status).toBe(422);
  expect(answer.body.error?.code).toBe("invalid_records");
  expect(answer.body.error?.records?.map((r) => r.path)).toEqual(paths);
});

/** Valid ticks, then one field replaced by any JSON, dropped, or an unknown field added. */
const mutatedTick = fc
  .record({
    n: fc.integer({ min: 10_000, max: 1_000_000 }),
    symbol: fc.constantFrom("AAPL", "MSFT", "GOOG"),
    field: fc.constantFrom(...Object.keys(trade("AAPL", 0)), "bid", "ask", "bidSize", "unknown"),
    action: fc.constantFrom("replace", "drop", "keep"),
    value: fc.oneof(
      fc.jsonValue(),
      fc.double(),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(Number),
      fc.string({ maxLength: 300 }),
      fc.constantFrom("2250-01-01T00:00:00Z", "NaN", "-1", "1e400", "\u0000", ""),
    ),
  })
  .map(({ n, symbol, field, action, value }) => {
    const tick: Record<string, unknown> = trade(symbol, n);
    if (action === "replace") tick[field] = value;
    if (action === "drop") delete tick[field];
    return tick;
  });

const hostileBody = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.array(mutatedTick, { minLength: 1, maxLength: 5 }).map((v) => records(...v)),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.record({ key: fc.option(fc.string()), value: fc.jsonValue() }), { maxLength: 4 })
      .map((list) => JSON.stringify({ records: list })),
  },
);

test("2,000 random and mutated bodies: never a 5xx, every refusal a JSON 4xx naming what was wrong", async () => {
  await fc.assert(
    fc.asyncProperty(hostileBody, async (body) => {
      const answer = await post(body);
      if (answer.status === 200) {
        recordAccepted(body, answer);
        return;
      }
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(typeof answer.body.error?.code).toBe("string");
      expect(typeof answer.body.error?.message).toBe("string");
      if (answer.status === 422) {
        for (const issue of answer.body.error?.records ?? [])
          expect(issue.path).toMatch(/^records\[\d+\]\.(key|value)/);
        expect(answer.body.error?.records?.length).toBeGreaterThan(0);
      }
    }),
    { numRuns: 2_000, seed: 20261126 },
  );
  const stats = (await pipeline.producer.json("/stats")) as {
    records: { rejected: number };
    invalidByField: Record<string, number>;
  };
  expect(stats.records.rejected).toBeGreaterThan(1_000);
  expect(Object.keys(stats.invalidByField).length).toBeGreaterThan(5);
}, 300_000);

test("after all of that, a fresh batch of normal ticks is stored, lag returns to 0, every accepted tick is one row, and every symbol's bars and latest quote equal its ticks", async () => {
  const now = Date.now();
  const fresh = Array.from({ length: 500 }, (_, i) => ({
    ...trade(i % 2 === 0 ? "FRESH.A" : "FRESH.B", i),
    eventTime: iso(now + i - 1_000),
    ingestTime: iso(now),
  }));
  for (let i = 0; i < fresh.length; i += 100) {
    const body = records(...fresh.slice(i, i + 100));
    const answer = await post(body);
    expect(answer.status).toBe(200);
    recordAccepted(body, answer);
  }
  expect(acceptedIdentities.size).toBeGreaterThan(fresh.length);
  const consumer = await consumerCaughtUp(pipeline.consumer, acceptedByTests);
  expect(consumer.records).toMatchObject({ written: acceptedByTests, deadLettered: 0 });
  const stored = await storedOutcome(pipeline.db);
  expect(stored.rows).toBe(acceptedIdentities.size);
  const rows = await pipeline.db.execute(
    "SELECT source, symbol, event_time_us, sequence FROM ticks",
    [],
    { prepare: true, fetchSize: 5000 },
  );
  const storedIdentities: string[] = [];
  for await (const row of rows)
    storedIdentities.push(
      `${row.get("source")}|${row.get("symbol")}|${row.get("event_time_us")}|${row.get("sequence")}`,
    );
  expect(storedIdentities.sort()).toEqual([...acceptedIdentities].sort());
  expect(stored.mismatchedBars).toEqual([]);
  expect(stored.missingBars).toEqual([]);
  expect(stored.staleLatest).toEqual([]);
  const symbols = new Set([...acceptedIdentities].map((identity) => identity.split("|")[1]));
  expect(symbols.size).toBeGreaterThan(2);
  expect(stored.bars).toBeGreaterThan(0);
  expect((await fetch(`${pipeline.consumer.url}/readyz`)).status).toBe(200);
}, 120_000);
