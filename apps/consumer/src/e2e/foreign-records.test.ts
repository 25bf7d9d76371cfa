/**
 * Property: whatever bytes other Kafka clients write onto `market.ticks` (random byte strings, and
 * valid records with bytes flipped, cut or appended, or a wrong schema id), the consumer never
 * stalls and never exits, and every good record among them is stored exactly once.
 */
import { afterAll, expect, test } from "bun:test";
import type { Tick } from "@repo/contracts";
import { barsFromStoredTicks, produceRaw, storedBars } from "@repo/testkit";
import fc from "fast-check";
import {
  allHandled,
  makeTicks,
  postTicks,
  type Scenario,
  scenario,
  startProducer,
} from "./harness.ts";

let s: Scenario | undefined;
afterAll(async () => {
  await s?.close();
}, 60_000);

/** Fixed, so a failure replays with the same bytes; change it to explore other cases. */
const SEED = 20261207;

type Mutation =
  | { kind: "flip"; at: number; xor: number }
  | { kind: "cut"; at: number }
  | { kind: "append"; bytes: Uint8Array }
  | { kind: "schemaId"; id: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("flip" as const),
    at: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("append" as const),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  }),
  fc.record({ kind: fc.constant("schemaId" as const), id: fc.integer({ min: 0, max: 2 ** 31 }) }),
);

function mutate(bytes: Buffer, m: Mutation): Buffer {
  const copy = Buffer.from(bytes);
  switch (m.kind) {
    case "flip": {
      const at = m.at % copy.length;
      copy[at] = (copy[at] ?? 0) ^ m.xor;
      return copy;
    }
    case "cut":
      return copy.subarray(0, m.at % copy.length);
    case "append":
      return Buffer.concat([copy, Buffer.from(m.bytes)]);
    case "schemaId":
      copy.writeUInt32BE(m.id, 1);
      return copy;
  }
}

test("random bytes and mutated records written straight onto the topic never stall or stop the consumer; every good tick is stored once and bars equal the stored ticks", async () => {
  const world = await scenario("cons_foreign");
  s = world;
  // Good ticks use GOOD* symbols; mutated ones start from MUT* ticks, so a mutation can never
  // rewrite a good tick's row (any mutant that still decodes is a tick in its own right).
  const good = makeTicks(3, 60).map((t) => ({ ...t, symbol: t.symbol.replace("SYM", "GOOD") }));
  const seeds = makeTicks(2, 100).map((t) => ({ ...t, symbol: t.symbol.replace("SYM", "MUT") }));
  const randomBytes = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 2048 }), {
    seed: SEED,
    numRuns: 150,
  });
  const mutations = fc.sample(mutation, { seed: SEED + 1, numRuns: seeds.length });
  const mutants = await Promise.all(
    seeds.map(async (tick, i) =>
      mutate(await world.registry.encode(world.tickSchemaId, tick), mutations[i] as Mutation),
    ),
  );
  const foreign = [...randomBytes.map((b) => Buffer.from(b)), ...mutants];

  const consumer = await s.start();
  const producer = await startProducer(world);
  try {
    // Good ticks before, between and after the foreign records, on every partition; the last
    // ones posted through the producer, as a user's are.
    const third = Math.floor(good.length / 3);
    await s.produce(good.slice(0, third));
    await produceRaw(
      s.topic.ticks,
      foreign.slice(0, 125).map((value, i) => ({ key: `K${i % 7}`, value })),
    );
    await s.produce(good.slice(third, 2 * third));
    await produceRaw(
      s.topic.ticks,
      foreign.slice(125).map((value, i) => ({ key: i % 3 === 0 ? null : `K${i}`, value })),
    );
    await postTicks(producer, good.slice(2 * third));
    const total = good.length + foreign.length;

    const final = await allHandled(consumer, total, 120_000);
    expect(final.records.consumed).toBe(total);
    expect(final.deadLetters.skipped).toBe(0);
    expect(consumer.ended()).toBeUndefined();

    const identity = (t: Pick<Tick, "source" | "symbol" | "eventTime" | "sequence">) =>
      `${t.source}|${t.symbol}|${t.eventTime}|${t.sequence}`;
    const stored = await s.storedIdentities();
    const storedGood = stored.filter((id) => id.split("|")[1]?.startsWith("GOOD"));
    expect(storedGood.sort()).toEqual(good.map(identity).sort());
    expect(stored.length).toBe(final.records.written);
    expect(await storedBars(s.db)).toEqual(await barsFromStoredTicks(s.db));
    expect((await fetch(`${consumer.url}/readyz`)).status).toBe(200);
  } finally {
    await producer.stop().catch(() => {});
    await consumer.stop().catch(() => {});
  }
}, 240_000);
