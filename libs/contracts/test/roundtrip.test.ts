import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { loadConfig, registryEnv } from "@repo/platform/config";
import { avroOptions } from "../src/avro.ts";
import { edgeTick, sampleBar } from "../src/fixtures.ts";
import type { Tick } from "../src/generated/Tick.ts";
import { TOPIC, topicNamed, topicNames } from "../src/topics.ts";

type ReaderSchema = NonNullable<
  NonNullable<Parameters<SchemaRegistry["decode"]>[1]>[SchemaType.AVRO]
>["readerSchema"];

const registryUrl = loadConfig(registryEnv).SCHEMA_REGISTRY_URL;
const registry = new SchemaRegistry({ host: registryUrl }, { [SchemaType.AVRO]: avroOptions });
/** Throwaway subjects `test.roundtrip.<random>.<topic>-value` carrying the declared schemas. */
const { subjects } = topicNames(`test.roundtrip.${crypto.randomUUID().slice(0, 8)}.`);
const schemaOf = (topic: string) => {
  const { value } = topicNamed(topic);
  if (value === "bytes") throw new Error(`${topic} carries no schema`);
  return value.schema;
};
const register = async (subject: string, schema: unknown) =>
  (await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject }))
    .id;

beforeAll(async () => {
  await register(subjects.ticks, schemaOf(TOPIC.ticks));
  await register(subjects.bars, schemaOf(TOPIC.bars));
});

afterAll(async () => {
  for (const subject of Object.values(subjects))
    for (const query of ["", "?permanent=true"])
      await fetch(`${registryUrl}/subjects/${encodeURIComponent(subject)}${query}`, {
        method: "DELETE",
      });
});

describe("Confluent wire format through the real registry", () => {
  test("a tick encodes and decodes back equal, prices exact", async () => {
    const id = await registry.getLatestSchemaId(subjects.ticks);
    const ticks: Tick[] = [
      edgeTick({ price: "0.000001", bid: "123456789012.123456", ask: "999999999999.999999" }),
      edgeTick({ price: "123456789012.123456", kind: "QUOTE", bid: "0.000001", ask: "0.5" }),
      edgeTick({ exchange: null, bidSize: 0, eventTime: 1, sequence: 2 ** 52 }),
    ];
    for (const tick of ticks) {
      const bytes = await registry.encode(id, tick);
      expect(bytes[0]).toBe(0);
      expect(bytes.readUInt32BE(1)).toBe(id);
      expect({ ...(await registry.decode(bytes)) }).toEqual(tick);
    }
  });

  test("a bar encodes and decodes back equal", async () => {
    const id = await registry.getLatestSchemaId(subjects.bars);
    const bar = sampleBar();
    expect({ ...(await registry.decode(await registry.encode(id, bar))) }).toEqual(bar);
  });

  test("an invalid value is refused by the encoder with its field path", async () => {
    const id = await registry.getLatestSchemaId(subjects.ticks);
    const error = await registry
      .encode(id, edgeTick({ price: "1.1234567" }))
      .catch((e: Error) => e);
    expect(String((error as { paths?: unknown }).paths ?? error)).toContain("price");
  });

  test("two versions of a schema decode in one process; the options stay clean", async () => {
    const v1 = await registry.getLatestSchemaId(subjects.ticks);
    const schema = schemaOf(TOPIC.ticks);
    const probe = {
      name: "evolutionProbe",
      type: ["null", "long"],
      default: null,
      doc: "A later field.",
    };
    const evolved = {
      ...(schema as object),
      fields: [...(schema as { fields: object[] }).fields, probe],
    };
    const v2 = await register(subjects.ticks, evolved);
    const old = await registry.encode(v1, edgeTick());
    const fresh = await registry.encode(v2, { ...edgeTick(), evolutionProbe: 7 });
    expect({ ...(await registry.decode(old)) }).toEqual(edgeTick());
    expect({ ...(await registry.decode(fresh)) }).toEqual({ ...edgeTick(), evolutionProbe: 7 });
    const asReader = (schema: unknown) => ({
      [SchemaType.AVRO]: { readerSchema: schema as ReaderSchema },
    });
    expect({ ...(await registry.decode(fresh, asReader(schema))) }).toEqual(edgeTick());
    const upgraded = await registry.decode(old, asReader(evolved));
    expect({ ...upgraded }).toEqual({ ...edgeTick(), evolutionProbe: null });
    expect(Object.keys(avroOptions)).not.toContain("registry");
  });
});
