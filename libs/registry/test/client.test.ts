/** The registry client against the stack's real Schema Registry (isolated subjects per run). */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { avroTypeOf, fromWire, type Tick, topicNamed } from "@repo/contracts";
import { DataError } from "@repo/platform/errors";
import { dropTopics, provisionTopics, sampleTick, stackEnv, uniqueId } from "@repo/testkit";
import type { Schema } from "avsc";
import {
  createSchemaRegistryClient,
  UnknownSchemaError,
  UnknownSubjectError,
} from "../src/index.ts";

const prefix = `${uniqueId("registry")}.`;
const minuteAgo = (Date.now() - 60_000) * 1000;
const registryTick = (): Tick =>
  sampleTick({
    source: "registry-test",
    eventTime: minuteAgo,
    size: 100,
    ingestTime: minuteAgo + 1,
  });
const registry = createSchemaRegistryClient({ url: stackEnv.SCHEMA_REGISTRY_URL });
beforeAll(() => provisionTopics(prefix), 60_000);
afterAll(() => dropTopics(prefix, []).catch(() => {}));

test("a tick encodes to Confluent wire format under the subject's latest id and decodes back with the writer schema", async () => {
  const id = await registry.idFor(`${prefix}market.ticks-value`);
  const tick = registryTick();
  const framed = fromWire(await registry.encode(id, tick));
  if (!framed.ok) throw new Error(framed.message);
  expect(framed.schemaId).toBe(id);
  expect((await registry.typeOf(id)).fromBuffer(framed.body)).toEqual(tick);
  const spec = topicNamed("market.ticks").value;
  if (spec === "bytes") throw new Error("unexpected");
  expect((await registry.typeOf(id)).equals(avroTypeOf(spec.schema as Schema))).toBe(true);
});

test("a value that does not fit is a DataError naming the field; unknown ids and subjects are named errors", async () => {
  const id = await registry.idFor(`${prefix}market.ticks-value`);
  const error = await registry.encode(id, { ...registryTick(), size: "lots" }).catch((e) => e);
  expect(error).toBeInstanceOf(DataError);
  expect((error as Error).message).toContain("size");
  expect(await registry.typeOf(2_000_000_000).catch((e) => e)).toBeInstanceOf(UnknownSchemaError);
  expect(await registry.idFor(`${prefix}never-pushed-value`).catch((e) => e)).toBeInstanceOf(
    UnknownSubjectError,
  );
  expect(await registry.reachable(2_000)).toBe(true);
});
