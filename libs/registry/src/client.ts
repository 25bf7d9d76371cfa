import { avroOptions, toWire } from "@repo/contracts";
import { DataError } from "@repo/platform/errors";
import type { RegistryAccess } from "@repo/platform/security";
import avro, { type ForSchemaOptions, type Schema, type Type } from "avsc";
import { registryConnection } from "./access.ts";
import {
  RegistryAccessError,
  RegistryNotFoundError,
  RegistryUrlError,
  UnknownSchemaError,
  UnknownSubjectError,
  UnsupportedSchemaError,
} from "./errors.ts";
import { createSchemaIdCache } from "./schema-ids.ts";

/** The Schema Registry as every service uses it (the Confluent REST API only). */
export interface SchemaRegistryClient {
  /** The subject's latest schema id: cached for `ttlMs`, kept past it while the registry is down. */
  idFor(subject: string): Promise<number>;
  /**
   * The writer schema of an id (ids are immutable, so cached for good); one request per id at a
   * time. An id the registry does not have is an {@link UnknownSchemaError}, a schema that is not
   * a usable Avro schema an {@link UnsupportedSchemaError}; both are final. Anything else (no
   * answer in time, 5xx, 408, 429, a refusal) is the registry's state, not the id's.
   */
  typeOf(schemaId: number): Promise<Type>;
  /** Confluent wire-format bytes of `value` under `schemaId`; a value that does not fit is a {@link DataError}. */
  encode(schemaId: number, value: unknown): Promise<Buffer>;
  /** Whether `GET /subjects` answers 200 within `timeoutMs`. */
  reachable(timeoutMs: number): Promise<boolean>;
  /**
   * Resolves once the registry answers `GET /subjects` with a subject list and `GET
   * /schemas/ids/1` as a registry does (found, or its own "not found"). Rejects with an
   * `AccessError` if it refuses the credentials or its certificate is not trusted, a
   * {@link RegistryUrlError} naming `SCHEMA_REGISTRY_URL` if what answers is not a registry (a
   * wrong path), both final; a retriable `RegistryUnavailableError` if it does not answer.
   */
  checkAccess(timeoutMs: number): Promise<void>;
  /** Subjects whose id is cached. */
  cachedSchemaIds(): number;
}

export interface SchemaRegistryOptions extends RegistryAccess {
  /** How long a subject's latest id is trusted before it is looked up again. */
  ttlMs?: number;
  /** How long one registry request may take in all (SCHEMA_REGISTRY_TIMEOUT_MS; default 5 s). */
  timeoutMs?: number;
  /** How long connecting to the registry may take (SCHEMA_REGISTRY_CONNECT_TIMEOUT_MS; default 2 s). */
  connectTimeoutMs?: number;
  /** Called when an expired id is served because the registry could not be asked. */
  onStale?: (subject: string, error: unknown) => void;
}

/** Nested schema references followed at most (Confluent's references of references). */
const MAX_REFERENCES = 32;

interface SchemaAnswer {
  schema?: unknown;
  schemaType?: unknown;
  references?: { name?: unknown; subject?: unknown; version?: unknown }[];
}

/**
 * The one registry client of the producer and the consumer, over the Confluent REST API with a
 * timeout on every request. It never registers a schema: subjects and their compatibility are
 * `bun run schemas:push`'s job, so a missing subject is reported ({@link UnknownSubjectError}),
 * not papered over.
 *
 * @example
 *   const registry = createSchemaRegistryClient({ url: "http://127.0.0.1:8081", timeoutMs: 5_000 });
 *   const id = await registry.idFor("market.ticks-value");
 *   const bytes = await registry.encode(id, tick); // <00 00 00 00 id …avro>
 */
export function createSchemaRegistryClient(options: SchemaRegistryOptions): SchemaRegistryClient {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const connection = registryConnection(options, {
    connectTimeoutMs: Math.min(options.connectTimeoutMs ?? 2_000, timeoutMs),
  });
  const ids = createSchemaIdCache(latestId, {
    ttlMs: options.ttlMs ?? 60_000,
    onStale: options.onStale,
  });
  const types = new Map<number, Type>();
  const lookups = new Map<number, Promise<Type>>();

  async function latestId(subject: string): Promise<number> {
    try {
      const answer = await connection.read(
        `/subjects/${encodeURIComponent(subject)}/versions/latest`,
        timeoutMs,
      );
      const id = (answer as { id?: unknown }).id;
      if (typeof id !== "number")
        throw new RegistryUrlError(connection.url, `latest version of ${subject} has no id`);
      return id;
    } catch (error) {
      if (error instanceof RegistryNotFoundError) throw new UnknownSubjectError(subject);
      throw error;
    }
  }

  async function fetchType(schemaId: number): Promise<Type> {
    let answer: SchemaAnswer;
    try {
      answer = (await connection.read(`/schemas/ids/${schemaId}`, timeoutMs)) as SchemaAnswer;
    } catch (error) {
      if (error instanceof RegistryNotFoundError) throw new UnknownSchemaError(schemaId);
      throw error;
    }
    const type = await avroTypeFrom(schemaId, answer);
    types.set(schemaId, type);
    return type;
  }

  /** Parses an Avro answer, its references first (into one avsc name registry). */
  async function avroTypeFrom(schemaId: number, answer: SchemaAnswer): Promise<Type> {
    const parseOptions: Partial<ForSchemaOptions> = { ...avroOptions, registry: {} };
    const seen = new Set<string>();
    const parse = async (what: string, current: SchemaAnswer): Promise<Type> => {
      const schemaType = current.schemaType ?? "AVRO";
      if (schemaType !== "AVRO")
        throw new UnsupportedSchemaError(schemaId, `${what} is ${String(schemaType)}, not AVRO`);
      if (typeof current.schema !== "string")
        throw new RegistryUrlError(connection.url, `${what} came without a schema`);
      for (const reference of current.references ?? []) {
        const key = `${String(reference.subject)}/${String(reference.version)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (seen.size > MAX_REFERENCES)
          throw new UnsupportedSchemaError(schemaId, `more than ${MAX_REFERENCES} references`);
        const referenced = await readReference(schemaId, reference);
        await parse(`reference ${key}`, referenced);
      }
      try {
        return avro.Type.forSchema(JSON.parse(current.schema) as Schema, parseOptions);
      } catch (error) {
        throw new UnsupportedSchemaError(
          schemaId,
          `${what} is not a valid Avro schema: ${(error as Error).message}`,
        );
      }
    };
    return parse(`schema id ${schemaId}`, answer);
  }

  async function readReference(
    schemaId: number,
    reference: { subject?: unknown; version?: unknown },
  ): Promise<SchemaAnswer> {
    const { subject, version } = reference;
    if (typeof subject !== "string" || typeof version !== "number")
      throw new UnsupportedSchemaError(schemaId, "a reference without subject and version");
    try {
      return (await connection.read(
        `/subjects/${encodeURIComponent(subject)}/versions/${version}`,
        timeoutMs,
      )) as SchemaAnswer;
    } catch (error) {
      if (error instanceof RegistryNotFoundError)
        throw new UnsupportedSchemaError(schemaId, `its reference ${subject}/${version} is gone`);
      throw error;
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
    async reachable(probeTimeoutMs) {
      try {
        return (await connection.probe(probeTimeoutMs)) === 200;
      } catch {
        return false;
      }
    },
    async checkAccess(checkTimeoutMs) {
      const subjects = await connection.read("/subjects", checkTimeoutMs).catch((error) => {
        if (error instanceof RegistryNotFoundError)
          throw new RegistryUrlError(connection.url, `GET /subjects answered ${error.message}`);
        throw error;
      });
      if (!Array.isArray(subjects))
        throw new RegistryUrlError(connection.url, "GET /subjects did not answer a list");
      await connection.read("/schemas/ids/1", checkTimeoutMs).catch((error: unknown) => {
        // Its own "not found", or a refusal for that one id, still proves a registry answers.
        if (error instanceof RegistryNotFoundError || error instanceof RegistryAccessError) return;
        throw error;
      });
    },
    cachedSchemaIds: () => ids.size(),
  };
}
