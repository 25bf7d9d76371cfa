import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { avroOptions, toWire } from "@repo/contracts";
import { DataError, PipelineError } from "@repo/platform/errors";
import type { Type } from "avsc";
import { registryConnection } from "./access.ts";
import { createSchemaIdCache, RegistryUnavailableError } from "./schema-ids.ts";

/** The registry has no schema with this id: a record that names it can never be decoded. */
export class UnknownSchemaError extends PipelineError {
  override name = "UnknownSchemaError";
  constructor(readonly schemaId: number) {
    super(`schema id ${schemaId} is not in the registry`, { retriable: false });
  }
}

/** The Schema Registry as every service uses it (the Confluent REST API only). */
export interface SchemaRegistryClient {
  /** The subject's latest schema id: cached for `ttlMs`, kept past it while the registry is down. */
  idFor(subject: string): Promise<number>;
  /** The writer schema of an id (ids are immutable, so cached for good); one request per id. */
  typeOf(schemaId: number): Promise<Type>;
  /** Confluent wire-format bytes of `value` under `schemaId`; a value that does not fit is a {@link DataError}. */
  encode(schemaId: number, value: unknown): Promise<Buffer>;
  /** Whether `GET /subjects` answers within `timeoutMs`. */
  reachable(timeoutMs: number): Promise<boolean>;
  /**
   * Resolves once the registry answers `GET /subjects`; an {@link AccessError} if it refuses the
   * credentials or its certificate is not trusted (retrying cannot help), a
   * `RegistryUnavailableError` if it does not answer.
   */
  checkAccess(timeoutMs: number): Promise<void>;
  /** Subjects whose id is cached. */
  cachedSchemaIds(): number;
}

export interface SchemaRegistryOptions {
  url: string;
  /** Basic auth (SCHEMA_REGISTRY_USERNAME/_PASSWORD), from `registryAccess(config)`. */
  basicAuth?: { username: string; password: string };
  /** The CA bundle of an https:// registry (SCHEMA_REGISTRY_CA_FILE); the system's when absent. */
  caFile?: string;
  /** How long a subject's latest id is trusted before it is looked up again. */
  ttlMs?: number;
  /** Called when an expired id is served because the registry is unreachable. */
  onStale?: (subject: string, error: unknown) => void;
}

/**
 * The one registry client of the producer and the consumer. It never registers a schema: subjects
 * and their compatibility are `bun run schemas:push`'s job, so a missing subject is reported
 * ({@link UnknownSubjectError}), not papered over.
 *
 * @example
 *   const registry = createSchemaRegistryClient({ url: "http://127.0.0.1:8081" });
 *   const id = await registry.idFor("market.ticks-value");
 *   const bytes = await registry.encode(id, tick); // <00 00 00 00 id …avro>
 */
export function createSchemaRegistryClient(options: SchemaRegistryOptions): SchemaRegistryClient {
  const base = options.url.replace(/\/+$/, "");
  const connection = registryConnection(options);
  const client = new SchemaRegistry(
    {
      host: base,
      retry: { retries: 1, initialRetryTimeInSecs: 0.1 },
      ...(connection.auth ? { auth: connection.auth } : {}),
      ...(connection.agent ? { agent: connection.agent } : {}),
    },
    { [SchemaType.AVRO]: avroOptions as never },
  );
  const ids = createSchemaIdCache((subject) => client.getLatestSchemaId(subject), {
    ttlMs: options.ttlMs ?? 60_000,
    onStale: options.onStale,
  });
  const types = new Map<number, Type>();
  const lookups = new Map<number, Promise<Type>>();

  async function fetchType(schemaId: number): Promise<Type> {
    try {
      const type = (await client.getSchema(schemaId)) as unknown as Type;
      types.set(schemaId, type);
      return type;
    } catch (error) {
      if ((error as { status?: number }).status === 404) throw new UnknownSchemaError(schemaId);
      throw new RegistryUnavailableError(`schema id ${schemaId}`, error);
    }
  }

  const typeOf = (schemaId: number): Promise<Type> => {
    const known = types.get(schemaId);
    if (known) return Promise.resolve(known);
    let lookup = lookups.get(schemaId);
    if (!lookup) {
      lookup = fetchType(schemaId).finally(() => lookups.delete(schemaId));
      lookups.set(schemaId, lookup);
    }
    return lookup;
  };

  return {
    idFor: (subject) => ids.idFor(subject),
    typeOf,
    async encode(schemaId, value) {
      const type = await typeOf(schemaId);
      const problems: string[] = [];
      type.isValid(value, {
        errorHook: (path) => problems.push(path.join(".") || "(value)"),
      });
      if (problems.length > 0) {
        throw new DataError(
          `does not fit registered schema ${schemaId} at ${problems.join(", ")}`,
          {
            code: "schema_mismatch",
          },
        );
      }
      return toWire(schemaId, type.toBuffer(value));
    },
    async reachable(timeoutMs) {
      try {
        return (await connection.probe(timeoutMs)) === 200;
      } catch {
        return false;
      }
    },
    async checkAccess(timeoutMs) {
      const status = await connection.probe(timeoutMs);
      if (status !== 200)
        throw new RegistryUnavailableError("GET /subjects", new Error(`HTTP ${status}`));
    },
    cachedSchemaIds: () => ids.size(),
  };
}
