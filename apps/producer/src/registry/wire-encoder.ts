import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { avroOptions } from "@repo/contracts";
import type { WireEncoder } from "../records/publish.ts";
import { createSchemaIdCache } from "./schema-ids.ts";

export interface RegistryEncoder extends WireEncoder {
  /** Whether `GET /subjects` answers within `timeoutMs`. */
  reachable(timeoutMs: number): Promise<boolean>;
  cachedSchemaIds(): number;
}

/**
 * Confluent wire-format encoding (magic 0, 4-byte schema id, Avro body) with the registry's latest
 * schema per subject. Ids and schemas are cached, so a warm producer keeps working without the registry.
 *
 * @example
 *   const encoder = createRegistryEncoder({ url: "http://127.0.0.1:8081", ttlMs: 60_000 });
 *   const bytes = await encoder.encode(await encoder.idFor("market.ticks-value"), tick);
 */
export function createRegistryEncoder(options: {
  url: string;
  ttlMs: number;
  onStale?: (subject: string, error: unknown) => void;
}): RegistryEncoder {
  const registry = new SchemaRegistry(
    { host: options.url, retry: { retries: 1, initialRetryTimeInSecs: 0.1 } },
    { [SchemaType.AVRO]: avroOptions },
  );
  const ids = createSchemaIdCache((subject) => registry.getLatestSchemaId(subject), {
    ttlMs: options.ttlMs,
    onStale: options.onStale,
  });
  return {
    idFor: (subject) => ids.idFor(subject),
    encode: (schemaId, value) => registry.encode(schemaId, value),
    cachedSchemaIds: () => ids.size(),
    async reachable(timeoutMs) {
      try {
        const response = await fetch(`${options.url.replace(/\/$/, "")}/subjects`, {
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body?.cancel();
        return response.ok;
      } catch {
        return false;
      }
    },
  };
}
