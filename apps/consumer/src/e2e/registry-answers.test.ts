/**
 * Registry answers that are the data's fault, or that retrying does not fix for one id, written
 * straight onto the topic by a plain Kafka client between good ticks: a record whose schema id names
 * a primitive `"string"` schema, and one whose id the registry answers 500 for (a stand-in that
 * forwards everything else to the real registry). Both are dead-lettered with their reason, the
 * second once its retry budget ran out; their neighbours are stored and lag returns to 0.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { avroTypeOf, dlqHeaders, type Tick, toWire } from "@repo/contracts";
import { produceRaw, type RunningService, readTopic } from "@repo/testkit";
import avro, { type Type } from "avsc";
import { makeTicks, produceTicks, type Scenario, scenario, stats, waitFor } from "./harness.ts";
import {
  registerSchema,
  type StandInRegistry,
  startStandInRegistry,
  tickVariant,
} from "./registry-stand-ins.ts";

const BUDGET_MS = 3_000;
let s: Scenario;
let standIn: StandInRegistry;
let consumer: RunningService;
let stringId: number;
let failingId: number;
/** The failing id's schema (a Tick with one more optional field) and that field's name. */
let variant: { type: Type; field: string };

beforeAll(async () => {
  s = await scenario("sr_answers");
  // A primitive string with an attribute of its own: the registry shares an id between subjects
  // holding the same schema, and AxonOps 0.2 deletes the schema's text when another test
  // hard-deletes its subject (see RegistryAdmin.register), which would turn this id into a 404.
  stringId = await registerSchema(
    `${s.prefix}primitive-value`,
    JSON.stringify({ type: "string", "x-test": s.prefix }),
  );
  const schema = tickVariant(s.prefix);
  variant = {
    type: avroTypeOf(schema),
    field: (schema as { fields: { name: string }[] }).fields.at(-1)?.name ?? "",
  };
  failingId = await registerSchema(`${s.prefix}failing-value`, JSON.stringify(schema));
  standIn = startStandInRegistry(new Map([[failingId, 500]]));
  consumer = await s.start({
    SCHEMA_REGISTRY_URL: standIn.url,
    SCHEMA_ID_RETRY_BUDGET_MS: String(BUDGET_MS),
    RETRY_MAX_DELAY_MS: "1000",
  });
}, 180_000);

afterAll(async () => {
  await s?.close();
  standIn?.stop();
}, 60_000);

const failingRecord = (tick: Tick) => ({
  key: tick.symbol,
  value: toWire(failingId, variant.type.toBuffer({ ...tick, [variant.field]: null })),
});
const stringRecord = () => ({
  key: "SYM00",
  value: toWire(stringId, avro.Type.forSchema("string").toBuffer("hello")),
});

const handled = (total: number) =>
  waitFor(
    `${total} records handled and lag 0`,
    async () => {
      const now = await stats(consumer);
      const done = now.records.written + now.records.deadLettered;
      return done >= total && now.lag.total === 0 ? now : undefined;
    },
    90_000,
    consumer,
  );

test("a primitive string schema and an id the registry answers 500 for are dead-lettered with their reasons, the 500 only after its retry budget; neighbours are stored and lag returns to 0", async () => {
  const good = makeTicks(2, 40);
  const spare = makeTicks(1, 1, (Math.floor(Date.now() / 60_000) - 30) * 60_000 * 1000)[0] as Tick;
  await produceTicks(s, good.slice(0, 40));
  await produceRaw(s.topic.ticks, [stringRecord(), failingRecord(spare)]);
  await produceTicks(s, good.slice(40));

  const final = await handled(good.length + 2);
  expect(final.records).toEqual({
    consumed: good.length + 2,
    written: good.length,
    deadLettered: 2,
  });
  expect(final.deadLettered).toEqual({ incompatible_schema: 1, schema_unavailable: 1 });
  expect(await s.tickCount()).toBe(good.length);
  // Asked again with backoff (1 s at most between attempts) for the 3 s budget, not forever.
  expect(standIn.asked(failingId)).toBeGreaterThanOrEqual(3);

  const letters = await readTopic(s.topic.deadLetter, { untilCount: 2, timeoutMs: 20_000 });
  const byReason = new Map(
    letters.map((letter) => [(letter.headers[dlqHeaders.reason] ?? "").split(":")[0], letter]),
  );
  const primitive = byReason.get("incompatible_schema");
  expect(primitive?.headers[dlqHeaders.reason]).toContain(
    `schema id ${stringId} cannot be read as market.Tick`,
  );
  expect(primitive?.value?.equals(stringRecord().value)).toBe(true);
  const unavailable = byReason.get("schema_unavailable");
  expect(unavailable?.headers[dlqHeaders.reason]).toContain(`schema id ${failingId}`);
  expect(unavailable?.headers[dlqHeaders.reason]).toContain("HTTP 500");
  expect(unavailable?.value?.equals(failingRecord(spare).value)).toBe(true);
}, 180_000);

test("a later record of the spent id is dead-lettered after one attempt: the ticks around it flow without a new wait", async () => {
  const before = await stats(consumer);
  const asked = standIn.asked(failingId);
  const base = (Math.floor(Date.now() / 60_000) - 20) * 60_000 * 1000;
  const good = makeTicks(2, 10, base);
  await produceTicks(s, good.slice(0, 10));
  await produceRaw(s.topic.ticks, [failingRecord(makeTicks(1, 1, base + 30_000_000)[0] as Tick)]);
  await produceTicks(s, good.slice(10));

  const total = before.records.consumed + good.length + 1;
  const final = await handled(total);
  expect(final.records.written).toBe(before.records.written + good.length);
  expect(final.deadLettered).toEqual({ incompatible_schema: 1, schema_unavailable: 2 });
  expect(standIn.asked(failingId) - asked).toBe(1);
  expect((await fetch(`${consumer.url}/readyz`)).status).toBe(200);
}, 120_000);
