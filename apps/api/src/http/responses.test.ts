import { describe, expect, test } from "bun:test";
import { type Tick, TOPIC, tickToJson, topicNamed } from "@repo/contracts";
import { sampleTick } from "@repo/testkit";
import { type TickJson, TickSchema } from "./responses.ts";

/** A tick as `tickToJson` writes it: timestamps become ISO-8601 text, every other value is kept. */
type TickAsJson = { [K in keyof Tick]: K extends "eventTime" | "ingestTime" ? string : Tick[K] };
type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

describe("the OpenAPI Tick (TickSchema) and the contract's Tick", () => {
  test("have the same fields and types: a field added, removed or retyped in Tick.avsc does not compile", () => {
    // responses.ts is shared with the browser bundle and cannot import the contract, so the check
    // lives here, where `bun run typecheck` sees both.
    const same: Same<TickJson, TickAsJson> = true;
    expect(same).toBe(true);
  });

  test("list the schema's fields, nullable exactly where the Avro field is", () => {
    const topic = topicNamed(TOPIC.ticks);
    if (topic.value === "bytes") throw new Error("market.ticks carries a schema");
    const fields = (topic.value.schema as { fields: { name: string; type: unknown }[] }).fields;
    const shape = TickSchema.shape as Record<
      string,
      { safeParse(value: unknown): { success: boolean } }
    >;
    expect(Object.keys(shape).sort()).toEqual(fields.map((field) => field.name).sort());
    const nullable = (type: unknown) => Array.isArray(type) && type.includes("null");
    for (const field of fields)
      expect([field.name, shape[field.name]?.safeParse(null).success]).toEqual([
        field.name,
        nullable(field.type),
      ]);
  });

  test("accepts what the api answers for a tick with every field set, and nothing more", () => {
    const tick = sampleTick({
      kind: "QUOTE",
      bid: "187.24",
      ask: "187.26",
      bidSize: 300,
      askSize: 200,
      cancelled: true,
    });
    expect(TickSchema.strict().safeParse(tickToJson(tick)).success).toBe(true);
  });
});
