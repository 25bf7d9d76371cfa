/**
 * The JSON of the Kafka console and schema routes, as zod schemas (they document /openapi.json)
 * and the types the dashboard reads. Nothing here imports server code.
 */
import { z } from "@hono/zod-openapi";

const time = z
  .string()
  .openapi({ example: "2026-01-05T14:30:00.123Z", description: "ISO-8601 UTC" });

export const TopicSchema = z
  .object({
    name: z.string(),
    partitions: z.array(
      z.object({
        partition: z.number().int(),
        earliest: z.number().int(),
        latest: z.number().int(),
        records: z.number().int().openapi({ description: "latest − earliest" }),
      }),
    ),
    records: z.number().int(),
    replicationFactor: z.number().int(),
    retentionMs: z.number().int().nullable(),
    cleanupPolicy: z.string().nullable(),
    perSecond: z
      .object({ last1m: z.number(), last5m: z.number() })
      .openapi({ description: "Records appended per second over the last 1 and 5 minutes" }),
  })
  .openapi("Topic");

export const TopicsResponse = z.object({ topics: z.array(TopicSchema) }).openapi("Topics");

export const GroupSchema = z
  .object({
    group: z.string(),
    state: z.string(),
    protocol: z.string(),
    members: z.array(
      z.object({
        memberId: z.string(),
        clientId: z.string(),
        host: z.string(),
        assignment: z.array(z.object({ topic: z.string(), partitions: z.array(z.number().int()) })),
      }),
    ),
    partitions: z.array(
      z.object({
        topic: z.string(),
        partition: z.number().int(),
        committed: z.number().int(),
        latest: z.number().int(),
        lag: z.number().int(),
        lagSeconds: z.number().nullable().openapi({
          description: "Age of the oldest unconsumed record; 0 at lag 0, null when not read",
        }),
        member: z.string().nullable(),
      }),
    ),
    lag: z.object({ records: z.number().int(), seconds: z.number().nullable() }),
    trend: z.object({
      direction: z.enum(["growing", "shrinking", "steady", "unknown"]),
      samples: z.array(z.object({ at: time, lag: z.number().int() })),
    }),
  })
  .openapi("ConsumerGroup");

export const GroupsResponse = z.object({ groups: z.array(GroupSchema) }).openapi("ConsumerGroups");

export const OffsetResetResponse = z
  .object({
    group: z.string(),
    dryRun: z.boolean(),
    topics: z.array(
      z.object({
        topic: z.string(),
        partitions: z.array(
          z.object({
            partition: z.number().int(),
            from: z.number().int().nullable(),
            to: z.number().int(),
          }),
        ),
      }),
    ),
  })
  .openapi("OffsetReset");

export const DecodedValueSchema = z
  .union([
    z.object({ encoding: z.literal("json"), schemaId: z.number().int(), json: z.unknown() }),
    z.object({
      encoding: z.literal("hex"),
      hex: z.string(),
      size: z.number().int(),
      truncated: z.boolean(),
      schemaId: z.number().int().optional(),
      reason: z.enum([
        "empty_value",
        "not_wire_format",
        "unknown_schema_id",
        "unsupported_schema",
        "corrupt_avro",
        "registry_unavailable",
      ]),
      detail: z.string(),
    }),
    z.object({ encoding: z.literal("null") }),
  ])
  .openapi("DecodedValue", {
    description:
      "The value decoded through the registry (Confluent wire format, Avro) as JSON, or its bytes in hex (at most 4096) with the reason it could not be decoded",
  });

export const MessageSchema = z
  .object({
    partition: z.number().int(),
    offset: z.number().int(),
    timestamp: time,
    key: z.string().nullable(),
    keyHex: z
      .string()
      .optional()
      .openapi({ description: "The key's bytes when they are not UTF-8" }),
    headers: z.record(z.string(), z.string()),
    value: DecodedValueSchema,
  })
  .openapi("KafkaMessage");

const ScanSchema = {
  partitions: z.array(z.number().int()).openapi({ description: "The partitions read" }),
  scanned: z.number().int().openapi({ description: "Records read to answer" }),
  stopped: z.enum(["limit", "end", "scan_limit", "time_limit"]),
};

export const MessagesResponse = z
  .object({
    topic: z.string(),
    ...ScanSchema,
    next: z
      .record(z.string(), z.number().int())
      .openapi({ description: "Per partition, where the next page starts" }),
    messages: z.array(MessageSchema),
  })
  .openapi("KafkaMessages");

export const DeadLetterSchema = z
  .object({
    partition: z.number().int(),
    offset: z.number().int(),
    timestamp: time,
    reason: z.string(),
    detail: z.string(),
    stage: z.string().nullable(),
    source: z.object({
      topic: z.string().nullable(),
      partition: z.number().int().nullable(),
      offset: z.number().int().nullable(),
    }),
    failedAt: z.string().nullable(),
    truncated: z.boolean(),
    originalSize: z.number().int().nullable(),
    key: z.string().nullable(),
    headers: z.record(z.string(), z.string()),
    value: DecodedValueSchema,
  })
  .openapi("DeadLetter");

export const DeadLettersResponse = z
  .object({
    topic: z.string(),
    ...ScanSchema,
    reasons: z
      .record(z.string(), z.number().int())
      .openapi({ description: "Dead letters read, by reason" }),
    deadLetters: z.array(DeadLetterSchema),
  })
  .openapi("DeadLetters");

export const RedriveResponse = z
  .object({
    dryRun: z.boolean(),
    matched: z.number().int(),
    sendable: z.number().int(),
    refused: z
      .record(z.string(), z.number().int())
      .openapi({ description: "Refused records by reason" }),
    sent: z.number().int(),
    scanned: z.number().int(),
    complete: z
      .boolean()
      .openapi({ description: "false when the scan stopped at its record or time limit" }),
    items: z
      .array(
        z.object({
          dlq: z.object({ partition: z.number().int(), offset: z.number().int() }),
          reason: z.string(),
          key: z.string().nullable(),
          target: z.object({ topic: z.string(), partition: z.number().int() }).optional(),
          refused: z.object({ code: z.string(), message: z.string() }).optional(),
          sentOffset: z.number().int().optional(),
        }),
      )
      .openapi({ description: "The first 200 records matched" }),
  })
  .openapi("Redrive");

export const SchemasResponse = z
  .object({
    compatibility: z.string().nullable(),
    truncated: z.boolean(),
    subjects: z.array(
      z.object({
        subject: z.string(),
        versions: z.array(z.number().int()),
        compatibility: z.string().nullable(),
        latest: z
          .object({ version: z.number().int(), id: z.number().int(), schemaType: z.string() })
          .nullable(),
      }),
    ),
  })
  .openapi("Schemas");

export const SchemaDiffResponse = z
  .object({
    subject: z.string(),
    from: z.object({ version: z.number().int(), id: z.number().int() }),
    to: z.object({ version: z.number().int(), id: z.number().int() }),
    changes: z.array(
      z
        .object({
          path: z.string(),
          change: z.enum([
            "added",
            "removed",
            "type_changed",
            "default_changed",
            "doc_changed",
            "symbols_changed",
            "renamed",
          ]),
        })
        .passthrough(),
    ),
  })
  .openapi("SchemaDiff");

export type TopicJson = z.infer<typeof TopicSchema>;
export type GroupJson = z.infer<typeof GroupSchema>;
export type MessageJson = z.infer<typeof MessageSchema>;
export type MessagesJson = z.infer<typeof MessagesResponse>;
export type DeadLetterJson = z.infer<typeof DeadLetterSchema>;
export type DeadLettersJson = z.infer<typeof DeadLettersResponse>;
export type RedriveJson = z.infer<typeof RedriveResponse>;
export type SchemasJson = z.infer<typeof SchemasResponse>;
export type SchemaDiffJson = z.infer<typeof SchemaDiffResponse>;
