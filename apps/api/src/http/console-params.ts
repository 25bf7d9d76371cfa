import { z } from "@hono/zod-openapi";
import { parseTimestamp } from "@repo/contracts";
import { failure } from "@repo/contracts/http-errors";
import { operatorSecurity, timeParam } from "./schemas.ts";

/**
 * The console's request shapes (paths, queries, bodies) and answer sets, for the route
 * specifications in `console-specs.ts`; every field validated with zod and named in 400 answers.
 */
/** Records one JSON page of messages may hold (NDJSON export goes up to API_KAFKA_SCAN_MAX). */
export const MAX_PAGE = 1000;
export const MAX_BODY = 64 * 1024;
export const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
export const TICKER = /^[A-Za-z0-9.-]{1,12}$/;

export const errors = {
  400: failure("A parameter is invalid; `error.issues` names each one"),
  401: failure("An operator token is needed (`operator_token_required`, `invalid_operator_token`)"),
  403: failure("Without API_OPERATOR_TOKENS only loopback clients may do this (`loopback_only`)"),
  404: failure("No such topic, group, subject or version"),
  503: failure("Kafka or the registry is unavailable (retry after `Retry-After` seconds)"),
};
export const ok = <T extends z.ZodType>(schema: T, description: string) => ({
  200: { description, content: { "application/json": { schema } } },
  ...errors,
});
export const bearer = operatorSecurity;
const time = timeParam;

export const offsetNumber = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const topicParam = z
  .string()
  .regex(TOPIC, "must be a Kafka topic name (1-249 letters, digits, '.', '_' or '-')")
  .openapi({ param: { name: "topic", in: "path" }, example: "market.ticks" });
export const prefixParam = z
  .string()
  .max(249)
  .regex(/^[A-Za-z0-9._-]*$/, "may only contain letters, digits, '.', '_' and '-'")
  .optional()
  .openapi({
    param: { name: "prefix", in: "query" },
    description: "Only names starting with this",
  });

export const messagesQuery = z.object({
  partition: offsetNumber
    .max(100_000)
    .optional()
    .openapi({ param: { name: "partition", in: "query" }, example: 2 }),
  offset: offsetNumber.optional().openapi({
    param: { name: "offset", in: "query" },
    description: "First offset read (needs `partition` or `symbol`)",
  }),
  timestamp: time("timestamp", "Start at the first record at or after this time (per partition)"),
  to: time("to", "Stop before the first record at or after this time (an export's end)"),
  symbol: z
    .string()
    .regex(TICKER, "must be a ticker like AAPL")
    .transform((s) => s.toUpperCase())
    .optional()
    .openapi({
      param: { name: "symbol", in: "query" },
      description:
        "Only records keyed by this symbol: reads only the partition the producer's partitioner (librdkafka consistent_random, CRC-32) gives it",
    }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(100)
    .openapi({
      param: { name: "limit", in: "query" },
      description: `Records answered (JSON at most ${MAX_PAGE})`,
    }),
  format: z
    .enum(["json", "ndjson"])
    .default("json")
    .openapi({
      param: { name: "format", in: "query" },
      description: "`ndjson` exports one message per line",
    }),
});

export const dlqQuery = z.object({
  reason: z
    .string()
    .regex(/^[a-z_]{1,64}$/, "must be a reason code such as invalid_value")
    .optional()
    .openapi({ param: { name: "reason", in: "query" } }),
  from: time("from", "Dead-lettered at or after (default: 24 hours before `to`)"),
  to: time("to", "Dead-lettered before (default: now)"),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE)
    .default(100)
    .openapi({ param: { name: "limit", in: "query" } }),
});

export const isoTime = z
  .string()
  .max(40)
  .superRefine((text, ctx) => {
    const parsed = parseTimestamp(text);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
  });

export const redriveBody = z
  .object({
    dryRun: z
      .boolean()
      .default(true)
      .openapi({ description: "true (the default) only answers what would be sent" }),
    records: z
      .array(z.object({ partition: offsetNumber.max(100_000), offset: offsetNumber }).strict())
      .min(1)
      .max(1000)
      .optional()
      .openapi({ description: "Dead letters by partition and offset of the dead-letter topic" }),
    filter: z
      .object({
        reason: z
          .string()
          .regex(/^[a-z_]{1,64}$/, "must be a reason code such as invalid_value")
          .optional(),
        from: isoTime,
        to: isoTime,
      })
      .strict()
      .optional()
      .openapi({ description: "Every dead letter of [from, to) (of `reason` when given)" }),
    expect: z.number().int().min(0).optional().openapi({
      description:
        "The `sendable` count of the dry run: a send whose plan differs is refused (409)",
    }),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.records === undefined) === (body.filter === undefined))
      ctx.addIssue({
        code: "custom",
        path: ["records"],
        message: "give either `records` or `filter`",
      });
  })
  .openapi("RedriveRequest");

export const resetBody = z
  .object({
    to: z.enum(["earliest", "latest", "timestamp"]),
    timestamp: isoTime
      .optional()
      .openapi({ description: "With `to: timestamp`: the first record at or after it" }),
    topic: z.string().regex(TOPIC, "must be a Kafka topic name").optional().openapi({
      description: "Default: every topic the group has committed offsets for",
    }),
    dryRun: z.boolean().default(false),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.to === "timestamp") !== (body.timestamp !== undefined))
      ctx.addIssue({
        code: "custom",
        path: ["timestamp"],
        message:
          body.to === "timestamp"
            ? "is required with to: timestamp"
            : "is only allowed with to: timestamp",
      });
  })
  .openapi("OffsetResetRequest");

export const version = (name: string) =>
  z
    .string()
    .regex(/^([1-9][0-9]{0,8}|latest)$/, "must be a version number or latest")
    .openapi({ param: { name, in: "path" }, example: "1" });
