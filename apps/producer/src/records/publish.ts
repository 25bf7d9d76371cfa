import { topics } from "@repo/contracts";
import { ProduceError } from "@repo/kafka-node/errors";
import type { DeliveredOffset, OutgoingMessage } from "@repo/kafka-node/types";
import { AccessError, DataError } from "@repo/platform/errors";
import { ApiError, describeIssues } from "@repo/platform/http";
import type { Stats } from "@repo/platform/stats";
import {
  RegistryUnavailableError,
  RegistryUrlError,
  UnknownSchemaError,
  UnknownSubjectError,
  UnsupportedSchemaError,
} from "@repo/registry";
import { METRIC } from "../stats.ts";
import type { PostedRecord } from "./request.ts";
import { messageKey, validateRecords } from "./validate.ts";

export type { DeliveredOffset };

/**
 * Where records go: a Kafka producer answering per batch (`@repo/kafka-node`'s `KafkaProducer`),
 * or a fake in tests. A failed batch rejects with a `ProduceError`.
 */
export interface RecordSink {
  produceBatch(topic: string, messages: OutgoingMessage[]): Promise<DeliveredOffset[]>;
}

/** How values become bytes: the subject's latest schema id and a Confluent wire-format encoder. */
export interface WireEncoder {
  idFor(subject: string): Promise<number>;
  encode(schemaId: number, value: unknown): Promise<Buffer>;
}

export interface PublisherOptions {
  topicPrefix: string;
  sink: RecordSink;
  encoder: WireEncoder;
  stats: Stats;
  /** How far in the future event and ingest times may lie (default 60 s). */
  maxFutureSkewMs?: number;
  /** Seconds a client should wait after a 503 delivery timeout or a 429. */
  retryAfterSeconds: number;
}

/**
 * Validates, encodes and produces the records of one request, all or nothing up to Kafka's answer.
 * Throws {@link ApiError}s whose status the HTTP edge returns as is.
 *
 * @example
 *   const publish = createPublisher({ topicPrefix: "", sink, encoder, stats, retryAfterSeconds: 5 });
 *   await publish("market.ticks", [{ value: tickJson }]); // [{ partition: 2, offset: "41" }]
 */
export function createPublisher(options: PublisherOptions) {
  const { stats } = options;
  const counter = (name: RecordCounter) => stats.counter(METRIC[name]);

  return async function publish(
    topic: string,
    records: PostedRecord[],
  ): Promise<DeliveredOffset[]> {
    const started = performance.now();
    const subject = subjectOf(options.topicPrefix, topic);
    const validation = validateRecords(topic, records, {
      maxFutureSkewMs: options.maxFutureSkewMs,
    });
    if (!validation.ok) {
      counter("rejected").add(records.length);
      counter("invalid").add(new Set(validation.issues.map((i) => i.index)).size);
      for (const issue of validation.issues) stats.counter(invalidFieldCounter(issue.path)).add();
      const message = `${new Set(validation.issues.map((i) => i.index)).size} of ${records.length} records are invalid; nothing was produced: ${describeIssues(validation.issues)}`;
      throw new ApiError(422, "invalid_records", message, { records: validation.issues });
    }
    const schemaId = await schemaIdOf(options.encoder, subject);
    const messages = await encodeAll(
      options.encoder,
      schemaId,
      records,
      validation.values,
      counter,
    );
    const physical = `${options.topicPrefix}${topic}`;
    try {
      const offsets = await options.sink.produceBatch(physical, messages);
      counter("accepted").add(records.length);
      counter("delivered").add(offsets.length);
      stats.latency(METRIC.requestLatencyMs).record(performance.now() - started);
      return offsets;
    } catch (error) {
      throw produceFailure(error, records.length, options.retryAfterSeconds, counter);
    }
  };
}

/** The per-record counters of `/stats` (`records.accepted`, …). */
type RecordCounter = "accepted" | "rejected" | "delivered" | "failed" | "invalid" | "throttled";

const FIELD_OF_PATH = /^records\[\d+\]\.(key|value)(?:\.([A-Za-z_][A-Za-z0-9_]*))?/;

/**
 * The `/stats` counter of one refused field, e.g. `invalidByField.eventTime`. Names come from the
 * schema, so the set is bounded even when a client invents fields (counted as `unknown_field`).
 */
function invalidFieldCounter(path: string): string {
  const [, part, field] = FIELD_OF_PATH.exec(path) ?? [];
  if (part === "key") return METRIC.invalidField("key");
  if (!field) return METRIC.invalidField("value");
  return METRIC.invalidField(KNOWN_FIELDS.has(field) ? field : "unknown_field");
}

const KNOWN_FIELDS = new Set(
  topics.flatMap((topic) =>
    topic.value === "bytes"
      ? []
      : ((topic.value.schema as { fields?: { name: string }[] }).fields ?? []).map((f) => f.name),
  ),
);

/** The registry subject of a logical topic's values; 404 for a topic that is not declared or carries no Avro value. */
export function subjectOf(topicPrefix: string, topic: string): string {
  const spec = topics.find((candidate) => candidate.name === topic);
  if (!spec) {
    const known = topics.filter((t) => t.value !== "bytes").map((t) => t.name);
    throw new ApiError(
      404,
      "unknown_topic",
      `topic "${topic}" is not declared; known topics: ${known.join(", ")}`,
      {
        topic,
      },
    );
  }
  if (spec.value === "bytes") {
    throw new ApiError(
      404,
      "unknown_topic",
      `topic "${topic}" has no Avro value schema and cannot be produced to here`,
      {
        topic,
      },
    );
  }
  return `${topicPrefix}${topic}-value`;
}

async function schemaIdOf(encoder: WireEncoder, subject: string): Promise<number> {
  try {
    return await encoder.idFor(subject);
  } catch (error) {
    if (error instanceof UnknownSubjectError) {
      throw new ApiError(404, "unknown_subject", `${error.message}; run \`bun run schemas:push\``, {
        subject,
      });
    }
    throw registryFailure(error, subject);
  }
}

/**
 * What the registry's state means for the caller. A registry that did not answer in time, answered
 * 5xx/408/429, refused our credentials or does not sit at SCHEMA_REGISTRY_URL is a 503 the client
 * should retry (the cause, which names the registry's host, stays in `/readyz` and the log, not in
 * the answer). A latest schema that cannot encode anything (not Avro, gone) is the deployment's
 * fault, not the records': a 500 naming the subject. Anything else is ours.
 */
function registryFailure(error: unknown, subject?: string): unknown {
  const where = subject ? { subject } : {};
  if (error instanceof UnsupportedSchemaError || error instanceof UnknownSchemaError)
    return new ApiError(
      500,
      "schema_unusable",
      `${error.message}; the registered schema must be Avro (bun run schemas:push)`,
      where,
    );
  const unavailable =
    error instanceof RegistryUnavailableError ||
    error instanceof RegistryUrlError ||
    (error instanceof AccessError && error.server === "schema registry");
  if (!unavailable) return error;
  return new ApiError(
    503,
    "registry_unavailable",
    "the schema registry is unavailable; retry later",
    where,
    { "Retry-After": "5" },
  );
}

async function encodeAll(
  encoder: WireEncoder,
  schemaId: number,
  records: PostedRecord[],
  values: unknown[],
  counter: (name: RecordCounter) => { add(n?: number): void },
) {
  const messages: { key: string | null; value: Buffer }[] = [];
  const issues: { index: number; path: string; message: string }[] = [];
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index];
    try {
      messages.push({
        key: messageKey(records[index] as PostedRecord, value),
        value: await encoder.encode(schemaId, value),
      });
    } catch (error) {
      if (!(error instanceof DataError)) throw registryFailure(error);
      issues.push({
        index,
        path: `records[${index}].value`,
        message: (error as Error).message,
      });
    }
  }
  if (issues.length > 0) {
    counter("rejected").add(records.length);
    counter("invalid").add(issues.length);
    throw new ApiError(
      422,
      "invalid_records",
      `${issues.length} of ${records.length} records do not fit the registered schema; nothing was produced`,
      {
        records: issues,
      },
    );
  }
  return messages;
}

function produceFailure(
  error: unknown,
  count: number,
  retryAfterSeconds: number,
  counter: (name: RecordCounter) => { add(n?: number): void },
): unknown {
  if (!(error instanceof ProduceError)) return error;
  const retryAfter = { "Retry-After": String(retryAfterSeconds) };
  if (error.reason === "queue_full" && !error.delivered) {
    counter("throttled").add(count);
    return new ApiError(429, "queue_full", `${error.message}; retry later`, {}, retryAfter);
  }
  const { delivered } = error;
  counter("accepted").add(count);
  counter("delivered").add(delivered);
  counter("failed").add(count - delivered);
  return new ApiError(
    503,
    error.reason === "timeout" ? "delivery_timeout" : "kafka_unavailable",
    `${error.message}; ${delivered} of ${count} records were acknowledged`,
    { delivered },
    retryAfter,
  );
}
