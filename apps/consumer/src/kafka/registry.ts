import type { Bar } from "@repo/contracts";
import type { ConsumedRecord } from "@repo/kafka-node";
import { isRetriable } from "@repo/platform/errors";
import type { SchemaRegistryClient } from "@repo/registry";
import type { WriterSchemas } from "../tick/decode.ts";
import type { OutgoingRecord } from "./publisher.ts";

/**
 * The Schema Registry as the consumer uses it, over the services' one registry client: writer
 * schemas by id for decoding, and Bar encoding under `<prefix>market.bars.1m-value` (its latest id,
 * cached with a TTL). A bars subject that was never pushed is an outage to retry, not something
 * the consumer registers by itself.
 *
 * @example
 *   const registry = createConsumerRegistry(createSchemaRegistryClient({ url }), "market.bars.1m-value");
 *   const decode = createTickDecoder(registry.writerSchemas);
 */
export function createConsumerRegistry(client: SchemaRegistryClient, barsSubject: string) {
  const writerSchemas: WriterSchemas = { typeOf: (schemaId) => client.typeOf(schemaId) };
  return {
    writerSchemas,
    /** Wire-format bars; a bar the registered schema refuses is returned, not thrown (data, not outage). */
    async encodeBars(bars: Bar[]): Promise<{ records: OutgoingRecord[]; refused: Bar[] }> {
      const id = await client.idFor(barsSubject);
      const records: OutgoingRecord[] = [];
      const refused: Bar[] = [];
      for (const bar of bars) {
        try {
          records.push({ key: bar.symbol, value: await client.encode(id, bar) });
        } catch (error) {
          if (isRetriable(error)) throw error;
          refused.push(bar);
        }
      }
      return { records, refused };
    },
    ping: () => client.reachable(1500),
  };
}

export type { ConsumedRecord };
