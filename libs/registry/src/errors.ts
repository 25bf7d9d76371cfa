import { AccessError, PipelineError } from "@repo/platform/errors";

const MAX_DETAIL = 200;

/** A registry's own words, cut to a length that fits a log line or a dead-letter header. */
export const bounded = (text: string) =>
  text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}… (${text.length} chars)` : text;

/**
 * The registry did not answer usefully for now: no connection, no answer within the configured
 * timeout, or an HTTP status that may change on its own (5xx, 408, 429 and other unexpected ones).
 * Retriable. `status` is the HTTP status when there was one.
 */
export class RegistryUnavailableError extends PipelineError {
  override name = "RegistryUnavailableError";
  readonly status: number | undefined;
  constructor(
    readonly subject: string,
    cause: unknown,
    options: { status?: number } = {},
  ) {
    super(
      `schema registry unavailable for ${JSON.stringify(subject)}: ${bounded((cause as Error)?.message ?? String(cause))}`,
      { retriable: true, cause },
    );
    this.status = options.status;
  }
}

/** The registry refused our credentials (401) or this principal may not read the resource (403). */
export class RegistryAccessError extends AccessError {
  override name = "RegistryAccessError";
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super("schema registry", message);
  }
}

/**
 * `SCHEMA_REGISTRY_URL` does not point at a Schema Registry: it answers, but not with the
 * Confluent REST API (a 404 without a registry error code, or a body that is not the API's JSON).
 * Retrying with the same URL cannot help: the services stop at start-up with this message.
 */
export class RegistryUrlError extends PipelineError {
  override name = "RegistryUrlError";
  constructor(
    readonly url: string,
    detail: string,
  ) {
    super(
      `SCHEMA_REGISTRY_URL (${url}) does not point at a Schema Registry: ${bounded(detail)}; check the URL's path`,
      { retriable: false },
    );
  }
}

/** The registry answered its own "not found" (404 with error code 404xx: 40401 subject, 40403 schema). */
export class RegistryNotFoundError extends PipelineError {
  override name = "RegistryNotFoundError";
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message, { retriable: false });
  }
}

/** The registry has no schema with this id: a record that names it can never be decoded. */
export class UnknownSchemaError extends PipelineError {
  override name = "UnknownSchemaError";
  constructor(readonly schemaId: number) {
    super(`schema id ${schemaId} is not in the registry`, { retriable: false });
  }
}

/**
 * The registry holds this id, but its schema can never become an Avro reader here: another schema
 * type (PROTOBUF, JSON, an unknown one), an Avro schema that does not parse, or a reference that
 * is missing. Ids are immutable, so this is final for the id.
 */
export class UnsupportedSchemaError extends PipelineError {
  override name = "UnsupportedSchemaError";
  constructor(
    readonly schemaId: number,
    detail: string,
  ) {
    super(`schema id ${schemaId} cannot be used: ${bounded(detail)}`, { retriable: false });
  }
}

/**
 * No schema is registered under the subject: the deployment is missing `bun run schemas:push`.
 * Retriable: it succeeds once the schemas are pushed, and nothing here registers them itself.
 */
export class UnknownSubjectError extends PipelineError {
  override name = "UnknownSubjectError";
  constructor(readonly subject: string) {
    super(`no schema is registered under subject "${subject}"`, { retriable: true });
  }
}
