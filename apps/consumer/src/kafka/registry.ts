import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { avroOptions, type Bar, dlqHeaders, topicNamed, toWire } from "@repo/contracts";
import type { ConsumedRecord } from "@repo/kafka-node";
import type { Type } from "avsc";
import type { DeadLetter } from "../runner.ts";
import { UnknownSchemaError, type WriterSchemas } from "../tick/decode.ts";
import type { OutgoingRecord } from "./publisher.ts";

/**
 * The Schema Registry as the consumer uses it: writer schemas by id (cached by the client),
 * the Bar encoder for `<prefix>market.bars.1m-value`, and a reachability probe.
 *
 * @example
 *   const registry = createRegistry("http://127.0.0.1:8081", "market.bars.1m-value");
 *   const decode = createTickDecoder(registry.writerSchemas);
 */
export function createRegistry(url: string, barsSubject: string) {
  const client = new SchemaRegistry(
    { host: url, retry: { retries: 1 } },
    { [SchemaType.AVRO]: avroOptions as never },
  );
  let barsSchemaId: number | undefined;
  const barValue = topicNamed("market.bars.1m").value;
  if (barValue === "bytes") throw new Error("market.bars.1m must carry an Avro value");

  const writerSchemas: WriterSchemas = {
    async typeOf(schemaId) {
      try {
        return (await client.getSchema(schemaId)) as unknown as Type;
      } catch (error) {
        if ((error as { status?: number }).status === 404) {
          throw new UnknownSchemaError(`schema id ${schemaId} is not registered`);
        }
        throw error;
      }
    },
  };

  async function barsId(): Promise<number> {
    if (barsSchemaId !== undefined) return barsSchemaId;
    try {
      barsSchemaId = await client.getLatestSchemaId(barsSubject);
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
      const schema = JSON.stringify(barValue === "bytes" ? {} : barValue.schema);
      barsSchemaId = (
        await client.register({ type: SchemaType.AVRO, schema }, { subject: barsSubject })
      ).id;
    }
    return barsSchemaId;
  }

  return {
    writerSchemas,
    /** Wire-format bars; a bar the registered schema refuses is returned, not thrown (data, not outage). */
    async encodeBars(bars: Bar[]): Promise<{ records: OutgoingRecord[]; refused: Bar[] }> {
      const id = await barsId();
      const type = (await client.getSchema(id)) as unknown as Type;
      const records: OutgoingRecord[] = [];
      const refused: Bar[] = [];
      for (const bar of bars) {
        if (!type.isValid(bar)) refused.push(bar);
        else records.push({ key: bar.symbol, value: toWire(id, type.toBuffer(bar)) });
      }
      return { records, refused };
    },
    async ping(): Promise<boolean> {
      try {
        const response = await fetch(`${url.replace(/\/$/, "")}/subjects`, {
          signal: AbortSignal.timeout(1500),
        });
        return response.ok;
      } catch {
        return false;
      }
    },
  };
}

/** The dead-letter form of a poison record: original key and value, reason and source in headers. */
export function deadLetterRecord({ record, reason }: DeadLetter): OutgoingRecord {
  return {
    key: record.key,
    value: record.value ?? Buffer.alloc(0),
    headers: {
      [dlqHeaders.reason]: `${reason.code}: ${reason.detail}`,
      [dlqHeaders.stage]: reason.stage,
      [dlqHeaders.sourceTopic]: record.topic,
      [dlqHeaders.sourcePartition]: String(record.partition),
      [dlqHeaders.sourceOffset]: String(record.offset),
      [dlqHeaders.failedAt]: new Date().toISOString(),
    },
  };
}

export type { ConsumedRecord };
