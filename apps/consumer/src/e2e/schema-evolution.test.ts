/**
 * The Tick `cancelled` field as an evolution drill on the real registry, both directions: the
 * previous Tick schema (libs/contracts/test/fixtures/Tick.previous.avsc, a copy of main's before the
 * field) and the current one are registered under FULL_TRANSITIVE in a prefixed subject; records
 * written with the old schema are read by this consumer's decoder (cancelled = false); records
 * written with the new one (cancelled = true) are read by the previous consumer, which resolves
 * every writer schema into its own reader schema with avsc, as the same identity and values (it
 * upserts the row it already has: no corruption).
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { avroTypeOf, fromWire, type Tick, topicNamed } from "@repo/contracts";
import { createSchemaRegistryClient } from "@repo/registry";
import { RegistryAdmin } from "@repo/registry/admin";
import { sampleTick, uniqueId } from "@repo/testkit";
import type { Schema } from "avsc";
import { createTickDecoder } from "../tick/decode.ts";

const url = "http://127.0.0.1:8081";
const admin = new RegistryAdmin({ url });
const client = createSchemaRegistryClient({ url, timeoutMs: 5_000 });
const subject = `${uniqueId("evolution")}.market.ticks-value`;
const root = join(import.meta.dir, "../../../..");
const previous = readFileSync(
  join(root, "libs/contracts/test/fixtures/Tick.previous.avsc"),
  "utf8",
);
const current = readFileSync(join(root, "schemas/Tick.avsc"), "utf8");

afterAll(async () => {
  await admin.deleteSubject(subject).catch(() => {});
});

const decoder = createTickDecoder({
  typeOf: (id) => client.typeOf(id),
  answering: () => client.reachable(1_500),
  retryBudgetMs: 5_000,
});

test("FULL_TRANSITIVE accepts the new field; old records read as not cancelled, cancels read by the previous reader as the original trade", async () => {
  expect(JSON.parse(previous).fields.map((f: { name: string }) => f.name)).not.toContain(
    "cancelled",
  );
  const configured = topicNamed("market.ticks").value;
  expect(configured !== "bytes" && configured.compatibility).toBe("FULL_TRANSITIVE");
  await admin.setCompatibility(subject, "FULL_TRANSITIVE");
  const old = await admin.register(subject, previous);
  // A required field (no default) is what FULL_TRANSITIVE would refuse: the guard is live.
  const withoutDefault = JSON.parse(current);
  for (const field of withoutDefault.fields) if (field.name === "cancelled") delete field.default;
  const refused = await admin.checkCompatibility(subject, JSON.stringify(withoutDefault));
  expect(refused.compatible).toBe(false);
  const fresh = await admin.register(subject, current);
  expect(fresh.version).toBe(old.version + 1);

  // Old writer → this consumer: the default fills in.
  const trade = sampleTick({ symbol: "EVO", sequence: 7, price: "187.25", size: 300 });
  const { cancelled: _, ...oldShape } = trade;
  const oldBytes = await client.encode(old.id, oldShape);
  const read = await decoder(oldBytes);
  expect(read).toEqual({ ok: true, value: { ...trade, cancelled: false } });

  // New writer (a cancel) → the previous consumer's reader schema, by avsc resolution.
  const cancel: Tick = { ...trade, cancelled: true };
  const newBytes = await client.encode(fresh.id, cancel);
  const wire = fromWire(newBytes);
  if (!wire.ok) throw new Error(wire.message);
  expect(wire.schemaId).toBe(fresh.id);
  const previousReader = avroTypeOf(JSON.parse(previous) as Schema);
  const writer = await client.typeOf(fresh.id);
  const asPrevious = previousReader.fromBuffer(
    wire.body,
    previousReader.createResolver(writer),
  ) as Record<string, unknown>;
  expect(asPrevious).toEqual(oldShape);
  // And this consumer reads the same bytes as the cancel (its own schema: the fast reader, whose
  // decimals are millionths; the old schema's record above went through avsc, as text).
  expect(await decoder(newBytes)).toEqual({ ok: true, value: { ...cancel, price: 187_250_000 } });
}, 30_000);
