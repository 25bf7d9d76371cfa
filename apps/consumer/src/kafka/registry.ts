import type { Bar } from "@repo/contracts";
import type { ConsumedRecord } from "@repo/kafka-node";
import { positiveInt } from "@repo/platform/config";
import { DataError, isRetriable } from "@repo/platform/errors";
import {
  RegistryUnavailableError,
  registryClientEnv,
  type SchemaRegistryClient,
  UnknownSchemaError,
  UnsupportedSchemaError,
} from "@repo/registry";
import type { WriterSchemas } from "../tick/decode.ts";
import type { OutgoingRecord } from "./publisher.ts";

const RETRY_BUDGET_MS = 30_000;

/**
 * The consumer's registry settings, for its configuration module: the client's time limits and
 * how long one schema id may fail before its records are dead-lettered.
 *
 * @example
 *   export const consumerEnv = { ...pipelineEnv, ...consumerRegistryEnv };
 */
export const consumerRegistryEnv = {
  ...registryClientEnv,
  /**
   * How long a schema id the registry fails to serve (5xx, 403, no answer) while it answers other
   * requests is retried, with every partition paused, before its records go to the dead-letter
   * topic as `schema_unavailable`.
   */
  SCHEMA_ID_RETRY_BUDGET_MS: positiveInt(RETRY_BUDGET_MS),
};

/**
 * The Schema Registry as the consumer uses it, over the services' one registry client: writer
 * schemas by id for decoding, and Bar encoding under `<prefix>market.bars.1m-value` (its latest id,
 * cached with a TTL). A bars subject that was never pushed is an outage to retry, not something
 * the consumer registers by itself.
 *
 * @example
 *   const registry = createConsumerRegistry(createSchemaRegistryClient({ url }), "market.bars.1m-value", {
 *     retryBudgetMs: config.SCHEMA_ID_RETRY_BUDGET_MS,
 *   });
 *   const decode = createTickDecoder(registry.writerSchemas);
 */
export function createConsumerRegistry(
  client: SchemaRegistryClient,
  barsSubject: string,
  options: { retryBudgetMs?: number } = {},
) {
  const ping = () => client.reachable(1500);
  const writerSchemas: WriterSchemas = {
    typeOf: (schemaId) => client.typeOf(schemaId),
    answering: ping,
    retryBudgetMs: options.retryBudgetMs ?? RETRY_BUDGET_MS,
  };
  return {
    writerSchemas,
    /**
     * Wire-format bars. A bar the registered schema refuses, or a bars schema that can never encode
     * (not Avro, gone), is returned, not thrown (data, not outage); the registry's state (no answer,
     * 5xx, a refusal) is thrown as retriable.
     */
    async encodeBars(bars: Bar[]): Promise<{ records: OutgoingRecord[]; refused: Bar[] }> {
      const records: OutgoingRecord[] = [];
      const refused: Bar[] = [];
      try {
        const id = await client.idFor(barsSubject);
        for (const bar of bars) {
          try {
            records.push({ key: bar.symbol, value: await client.encode(id, bar) });
          } catch (error) {
            if (!(error instanceof DataError)) throw error;
            refused.push(bar);
          }
        }
      } catch (error) {
        if (error instanceof UnsupportedSchemaError || error instanceof UnknownSchemaError)
          return { records: [], refused: bars };
        if (isRetriable(error)) throw error;
        throw new RegistryUnavailableError(barsSubject, error);
      }
      return { records, refused };
    },
    ping,
  };
}

export type { ConsumedRecord };
