import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { parseTimestamp, validateTick } from "@repo/contracts";
import { ApiError } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import { type BearerToken, bearerTokenOf } from "@repo/platform/tokens";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { KafkaConsole, KafkaRecord } from "../kafka/console.ts";
import { decodeAvro, decodeValue, textOrHex, type WriterTypes } from "../kafka/decode.ts";
import { deadLetterOf, planRedrive, type RedrivePlanItem } from "../kafka/dlq.ts";
import { createLagHistory } from "../kafka/lag-history.ts";
import { partitionForKey } from "../kafka/partitioner.ts";
import { diffAvro } from "../schemas/diff.ts";
import type { SchemaCatalog } from "../schemas/registry-view.ts";
import type { StreamAdmission } from "../stream/admission.ts";
import {
  DeadLettersResponse,
  GroupsResponse,
  MessagesResponse,
  OffsetResetResponse,
  RedriveResponse,
  SchemaDiffResponse,
  SchemasResponse,
  TopicsResponse,
} from "./console-responses.ts";
import { ErrorResponse } from "./responses.ts";
import { remoteAddress, type StreamLimits, sseMessage, streamEvents } from "./sse.ts";

export interface ConsoleDeps {
  log: Logger;
  kafka: KafkaConsole;
  catalog: SchemaCatalog;
  /** Writer schemas by id (the registry client's `typeOf`). */
  types: WriterTypes;
  /** The pipeline's physical topics: where redrive may write, and the dead-letter topic. */
  topics: { ticks: string; deadLetter: string };
  limits: { scanMax: number; timeoutMs: number; redriveMax: number };
  operatorTokens: readonly BearerToken[];
  /** Whether the api listens on a loopback address only (message contents need no token then). */
  loopbackOnly: boolean;
  /** The live tail shares `/v1/stream`'s slots and limits. */
  streams?: { admission: StreamAdmission; limits: StreamLimits };
  /** How often a live tail asks Kafka for new records. */
  tailPollMs?: number;
  /** How far in the future a redriven tick's times may lie (MAX_CLOCK_SKEW_MS, as the consumer). */
  maxFutureSkewMs?: number;
  now?: () => number;
}

/** Records one JSON page of messages may hold (NDJSON export goes up to API_KAFKA_SCAN_MAX). */
export const MAX_PAGE = 1000;
const MAX_BODY = 64 * 1024;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const TICKER = /^[A-Za-z0-9.-]{1,12}$/;

const failure = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorResponse } },
});
const errors = {
  400: failure("A parameter is invalid; `error.issues` names each one"),
  401: failure("An operator token is needed (`operator_token_required`, `invalid_operator_token`)"),
  403: failure("Without API_OPERATOR_TOKENS only loopback clients may do this (`loopback_only`)"),
  404: failure("No such topic, group, subject or version"),
  503: failure("Kafka or the registry is unavailable (retry after `Retry-After` seconds)"),
};
const ok = <T extends z.ZodType>(schema: T, description: string) => ({
  200: { description, content: { "application/json": { schema } } },
  ...errors,
});
const bearer = [{ operatorToken: [] }];

const time = (name: string, meaning: string) =>
  z
    .string()
    .max(40)
    .superRefine((text, ctx) => {
      const parsed = parseTimestamp(text);
      if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
    })
    .optional()
    .openapi({
      param: { name, in: "query" },
      description: meaning,
      example: "2026-01-05T14:30:00Z",
    });
const offsetNumber = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const topicParam = z
  .string()
  .regex(TOPIC, "must be a Kafka topic name (1-249 letters, digits, '.', '_' or '-')")
  .openapi({ param: { name: "topic", in: "path" }, example: "market.ticks" });
const prefixParam = z
  .string()
  .max(249)
  .regex(/^[A-Za-z0-9._-]*$/, "may only contain letters, digits, '.', '_' and '-'")
  .optional()
  .openapi({
    param: { name: "prefix", in: "query" },
    description: "Only names starting with this",
  });

const messagesQuery = z.object({
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

const dlqQuery = z.object({
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

const isoTime = z
  .string()
  .max(40)
  .superRefine((text, ctx) => {
    const parsed = parseTimestamp(text);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
  });

const redriveBody = z
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

const resetBody = z
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

const version = (name: string) =>
  z
    .string()
    .regex(/^([1-9][0-9]{0,8}|latest)$/, "must be a version number or latest")
    .openapi({ param: { name, in: "path" }, example: "1" });

const routes = {
  topics: createRoute({
    method: "get",
    path: "/v1/kafka/topics",
    summary: "Topics: partitions, earliest/latest offsets, records per second, retention",
    description:
      "At most 500 topics (by name). Records per second come from Kafka: the records appended since the first offset at or after now − 1 min and now − 5 min.",
    request: { query: z.object({ prefix: prefixParam }) },
    responses: ok(TopicsResponse, "Topics by name"),
  }),
  groups: createRoute({
    method: "get",
    path: "/v1/kafka/groups",
    summary:
      "Consumer groups: state, members, assignment, lag per partition in records and seconds, trend",
    description:
      "lagSeconds is the age of the oldest unconsumed record (read at the committed offset; at most 64 partitions per answer, the rest null). The trend compares the lag of the answers given over the last 5 minutes.",
    request: {
      query: z.object({
        prefix: prefixParam,
        group: z
          .string()
          .max(255)
          .optional()
          .openapi({ param: { name: "group", in: "query" } }),
      }),
    },
    responses: ok(GroupsResponse, "Groups by name"),
  }),
  resetOffsets: createRoute({
    method: "post",
    path: "/v1/kafka/groups/{group}/offsets",
    summary: "Resets an inactive group's committed offsets to earliest, latest or a time",
    description: "Refused (409 `group_active`) while the group has members. Operator action.",
    security: bearer,
    request: {
      params: z.object({
        group: z
          .string()
          .min(1)
          .max(255)
          .openapi({ param: { name: "group", in: "path" } }),
      }),
      body: { content: { "application/json": { schema: resetBody } }, required: true },
    },
    responses: {
      ...ok(OffsetResetResponse, "The offsets set (or that would be, for a dry run)"),
      409: failure("The group has active members (`group_active`)"),
    },
  }),
  messages: createRoute({
    method: "get",
    path: "/v1/kafka/topics/{topic}/messages",
    summary: "Reads records by partition and offset, time or symbol, decoded through the registry",
    description:
      "Without `offset` or `timestamp`, the newest records. At most API_KAFKA_SCAN_MAX records are read and API_KAFKA_TIMEOUT_MS spent per request (`stopped` says which ended it). `format=ndjson` exports the range as one JSON message per line. Needs an operator token when the api listens on a non-loopback address.",
    security: bearer,
    request: { params: z.object({ topic: topicParam }), query: messagesQuery },
    responses: {
      ...ok(MessagesResponse, "Messages, oldest first"),
    },
  }),
  tail: createRoute({
    method: "get",
    path: "/v1/kafka/topics/{topic}/tail",
    summary: "A live tail (Server-Sent Events): `message` events of records appended from now on",
    description:
      "Starts at each partition's end (only the symbol's partition with `symbol`, which also keeps only that key) and sends every new record as a `message` event (the messages route's shape). Shares /v1/stream's caps (API_STREAM_MAX_CLIENTS, API_STREAM_MAX_PER_CLIENT), bounded queue and write timeout; a busy api answers a `busy` event with `retry:`.",
    security: bearer,
    request: {
      params: z.object({ topic: topicParam }),
      query: messagesQuery.pick({ partition: true, symbol: true }),
    },
    responses: {
      200: {
        description: "text/event-stream",
        content: { "text/event-stream": { schema: z.string() } },
      },
      ...errors,
    },
  }),
  dlq: createRoute({
    method: "get",
    path: "/v1/kafka/dlq",
    summary: "Dead letters with reason, origin and time; filterable by reason and time",
    security: bearer,
    request: { query: dlqQuery },
    responses: ok(DeadLettersResponse, "Dead letters, newest first"),
  }),
  redrive: createRoute({
    method: "post",
    path: "/v1/kafka/dlq/redrive",
    summary: "Sends dead letters back to their source topic (dry run by default)",
    description:
      "One record, a list, or a reason + time range. Each goes back unchanged (original key and value) to its `dlq.source.topic`, on the partition the producer's partitioner gives its key, with headers `redrive.from` (`<dlq topic>/<partition>/<offset>`), `redrive.at` and `redrive.by`; the consumer then validates it like any record, and a tick's identity makes a second redrive store nothing new. Truncated envelopes are refused (`truncated`), and so are records the consumer would dead-letter again: not decodable through the registry (`still_undecodable`) or failing the tick contract (`still_invalid`). Operator action.",
    security: bearer,
    request: { body: { content: { "application/json": { schema: redriveBody } }, required: true } },
    responses: {
      ...ok(RedriveResponse, "What was (or would be) sent"),
      409: failure("The plan differs from `expect` (`plan_changed`)"),
    },
  }),
  schemas: createRoute({
    method: "get",
    path: "/v1/schemas",
    summary: "Registry subjects with versions and compatibility level",
    responses: ok(SchemasResponse, "Subjects by name (at most 500)"),
  }),
  schemaDiff: createRoute({
    method: "get",
    path: "/v1/schemas/{subject}/versions/{a}/diff/{b}",
    summary: "A field-level diff between two versions of a subject's Avro schema",
    request: {
      params: z.object({
        subject: z
          .string()
          .min(1)
          .max(255)
          .openapi({ param: { name: "subject", in: "path" } }),
        a: version("a"),
        b: version("b"),
      }),
    },
    responses: ok(SchemaDiffResponse, "Changes from version a to version b"),
  }),
};

/**
 * The console's routes (`/v1/kafka/*`, `/v1/schemas*`) on the api's OpenAPI app: topics, groups
 * and offset resets, messages (JSON, NDJSON), dead letters and their redrive, schemas and diffs.
 * Every read is bounded by records and time; actions need an operator token.
 *
 * @example
 *   mountConsoleRoutes(api, { kafka, catalog, types: registry.typeOf, topics, limits, … });
 */
export function mountConsoleRoutes(api: OpenAPIHono, deps: ConsoleDeps) {
  const now = deps.now ?? Date.now;
  const lag = createLagHistory();
  api.openAPIRegistry.registerComponent("securitySchemes", "operatorToken", {
    type: "http",
    scheme: "bearer",
    description: "A token of API_OPERATOR_TOKENS",
  });

  /** Kafka and registry failures as 503s (details in the log), a missing topic as a 404. */
  const guarded = async <T>(what: string, task: () => Promise<T>): Promise<T> => {
    try {
      return await task();
    } catch (error) {
      if (error instanceof ApiError) throw error;
      const name = (error as Error).name;
      if (name === "UnknownTopicError")
        throw new ApiError(404, "unknown_topic", "no such topic", {
          issues: [{ path: "topic", in: "path", message: "no such topic" }],
        });
      const registry = /^Registry/.test(name);
      deps.log.warn(
        { err: error, read: what },
        registry ? "registry request failed" : "Kafka request failed",
      );
      throw new ApiError(
        503,
        registry ? "registry_unavailable" : "kafka_unavailable",
        registry
          ? "the schema registry is unavailable; retry later"
          : "Kafka is unavailable; retry later",
        {},
        { "Retry-After": "5" },
      );
    }
  };
  const operator = (c: Context, action: boolean) =>
    authorize(c, deps.operatorTokens, action || !deps.loopbackOnly);

  api.openapi(routes.topics, async (c) => {
    const { prefix } = c.req.valid("query");
    const at = now();
    const topics = await guarded("topics", async () => {
      const all = await deps.kafka.topics([at - 60_000, at - 300_000], prefix ?? "");
      const retention = await deps.kafka.retention(all.map((t) => t.name));
      return all.map((topic) => {
        const since = (from: Map<number, bigint> | undefined) =>
          topic.partitions.reduce(
            (sum, p) => sum + Number(p.latest - (from?.get(p.partition) ?? p.latest)),
            0,
          );
        const info = retention.get(topic.name);
        return {
          name: topic.name,
          partitions: topic.partitions.map((p) => ({
            partition: p.partition,
            earliest: Number(p.earliest),
            latest: Number(p.latest),
            records: Number(p.latest - p.earliest),
          })),
          records: topic.partitions.reduce((sum, p) => sum + Number(p.latest - p.earliest), 0),
          replicationFactor: topic.replicationFactor,
          retentionMs: info?.retentionMs ?? null,
          cleanupPolicy: info?.cleanupPolicy ?? null,
          perSecond: {
            last1m: round(since(topic.since[0]) / 60),
            last5m: round(since(topic.since[1]) / 300),
          },
        };
      });
    });
    return c.json({ topics }, 200);
  });

  api.openapi(routes.groups, async (c) => {
    const query = c.req.valid("query");
    const at = now();
    const groups = await guarded("groups", async () => {
      const all = (await deps.kafka.groups())
        .filter(
          (g) =>
            (!query.prefix || g.group.startsWith(query.prefix)) &&
            (!query.group || g.group === query.group),
        )
        .slice(0, 200);
      const ends = new Map<string, Promise<Map<number, bigint>>>();
      const endsOf = (topic: string) => {
        let found = ends.get(topic);
        if (!found) {
          found = deps.kafka
            .offsets(topic)
            .then((list) => new Map(list.map((p) => [p.partition, p.latest])));
          ends.set(topic, found);
        }
        return found;
      };
      const committedByGroup = await deps.kafka.committed(all.map((g) => g.group));
      let ageReads = 64;
      return Promise.all(
        all.map(async (group) => {
          const committed =
            committedByGroup.get(group.group) ?? new Map<string, Map<number, bigint>>();
          const owner = new Map<string, string>();
          for (const m of group.members)
            for (const a of m.assignment)
              for (const p of a.partitions) owner.set(`${a.topic}/${p}`, m.clientId || m.memberId);
          const partitions = [];
          for (const [topic, offsets] of [...committed].sort(([a], [b]) => a.localeCompare(b))) {
            const latest = await endsOf(topic).catch(() => new Map<number, bigint>());
            for (const [partition, offset] of [...offsets].sort(([a], [b]) => a - b)) {
              const end = latest.get(partition) ?? offset;
              const behind = end > offset ? Number(end - offset) : 0;
              let lagSeconds: number | null = behind === 0 ? 0 : null;
              if (behind > 0 && ageReads > 0) {
                ageReads -= 1;
                const oldest = await deps.kafka.read({
                  topic,
                  partition,
                  from: offset,
                  limit: 1,
                  maxScan: 1,
                  deadline: Date.now() + deps.limits.timeoutMs,
                });
                const record = oldest.records[0];
                if (record) lagSeconds = round(Math.max(0, at - record.timestamp) / 1000);
              }
              partitions.push({
                topic,
                partition,
                committed: Number(offset),
                latest: Number(end),
                lag: behind,
                lagSeconds,
                member: owner.get(`${topic}/${partition}`) ?? null,
              });
            }
          }
          const records = partitions.reduce((sum, p) => sum + p.lag, 0);
          const seconds = partitions.some((p) => p.lagSeconds === null && p.lag > 0)
            ? null
            : partitions.reduce((max, p) => Math.max(max, p.lagSeconds ?? 0), 0);
          return {
            ...group,
            partitions,
            lag: { records, seconds },
            trend: lag.record(group.group, at, records),
          };
        }),
      );
    });
    return c.json({ groups }, 200);
  });

  api.use("/v1/kafka/groups/:group/offsets", bodyLimit({ maxSize: MAX_BODY, onError: tooLarge }));
  api.openapi(routes.resetOffsets, async (c) => {
    operator(c, true);
    const { group } = c.req.valid("param");
    const body = c.req.valid("json");
    const result = await guarded("offset reset", async () => {
      const found = (await deps.kafka.groups()).find((g) => g.group === group);
      const committed =
        (await deps.kafka.committed([group])).get(group) ?? new Map<string, Map<number, bigint>>();
      if (!found && committed.size === 0)
        throw new ApiError(404, "unknown_group", `no consumer group ${group}`, {
          issues: [{ path: "group", in: "path", message: "no such consumer group" }],
        });
      if (
        found &&
        (found.members.length > 0 || !["Empty", "Dead", "EMPTY", "DEAD"].includes(found.state))
      )
        throw new ApiError(
          409,
          "group_active",
          `group ${group} has ${found.members.length} active member(s) (state ${found.state}); stop its consumers first`,
          { state: found.state, members: found.members.length },
        );
      const topics = body.topic ? [body.topic] : [...committed.keys()].sort();
      if (topics.length === 0)
        throw invalid(
          "topic",
          "the group has no committed offsets; name the topic to reset",
          "body",
        );
      const out = [];
      for (const topic of topics) {
        const ends = await deps.kafka.offsets(topic);
        const targets =
          body.to === "timestamp"
            ? await deps.kafka.offsetsForTime(
                topic,
                parseTimestamp(body.timestamp as string).ok
                  ? micros(body.timestamp as string) / 1000
                  : 0,
              )
            : new Map(
                ends.map((p) => [p.partition, body.to === "earliest" ? p.earliest : p.latest]),
              );
        if (!body.dryRun) await deps.kafka.commitOffsets(group, topic, targets);
        out.push({
          topic,
          partitions: [...targets]
            .sort(([a], [b]) => a - b)
            .map(([partition, to]) => {
              const from = committed.get(topic)?.get(partition);
              return { partition, from: from === undefined ? null : Number(from), to: Number(to) };
            }),
        });
      }
      return out;
    });
    deps.log.info({ group, to: body.to, dryRun: body.dryRun }, "consumer group offsets reset");
    return c.json({ group, dryRun: body.dryRun, topics: result }, 200);
  });

  api.openapi(routes.messages, async (c) => {
    operator(c, false);
    const { topic } = c.req.valid("param");
    const q = c.req.valid("query");
    if (q.format === "json" && q.limit > MAX_PAGE)
      throw invalid("limit", `must be at most ${MAX_PAGE} (use format=ndjson to export more)`);
    if (q.offset !== undefined && q.timestamp !== undefined)
      throw invalid("offset", "give `offset` or `timestamp`, not both");
    const started = Date.now();
    const deadline = started + deps.limits.timeoutMs;
    const result = await guarded("messages", async () => {
      const ends = await deps.kafka.offsets(topic);
      let partitions = ends.map((p) => p.partition);
      if (q.partition !== undefined) {
        if (q.partition >= ends.length)
          throw invalid(
            "partition",
            `the topic has ${ends.length} partitions (0-${ends.length - 1})`,
          );
        partitions = [q.partition];
      }
      if (q.symbol !== undefined) {
        const partition = partitionForKey(q.symbol, ends.length) as number;
        if (q.partition !== undefined && q.partition !== partition)
          throw invalid("symbol", `${q.symbol} is on partition ${partition}, not ${q.partition}`);
        partitions = [partition];
      }
      if (q.offset !== undefined && partitions.length !== 1)
        throw invalid(
          "offset",
          "needs `partition` or `symbol` (an offset belongs to one partition)",
        );
      const starts = q.timestamp
        ? await deps.kafka.offsetsForTime(topic, micros(q.timestamp) / 1000)
        : undefined;
      const untils = q.to ? await deps.kafka.offsetsForTime(topic, micros(q.to) / 1000) : undefined;
      const keep =
        q.symbol === undefined
          ? undefined
          : (r: KafkaRecord) => r.key?.toString("utf8") === q.symbol;
      const newest = q.offset === undefined && q.timestamp === undefined;
      let scanBudget = deps.limits.scanMax;
      const records: KafkaRecord[] = [];
      const next: Record<string, number> = {};
      let scanned = 0;
      let stopped: "limit" | "end" | "scan_limit" | "time_limit" = "end";
      for (const partition of partitions) {
        const end = ends[partition] as { earliest: bigint; latest: bigint };
        const share = Math.max(
          1,
          Math.floor(scanBudget / Math.max(1, partitions.length - partitions.indexOf(partition))),
        );
        let from =
          q.offset !== undefined ? BigInt(q.offset) : (starts?.get(partition) ?? end.earliest);
        if (newest) {
          const back = BigInt(keep ? share : q.limit);
          from = end.latest - back > end.earliest ? end.latest - back : end.earliest;
        }
        if (from < end.earliest) from = end.earliest;
        const read = await deps.kafka.read({
          topic,
          partition,
          from,
          until: untils?.get(partition),
          limit: newest ? share : q.limit,
          maxScan: share,
          deadline,
          keep,
        });
        scanned += read.scanned;
        scanBudget -= read.scanned;
        next[String(partition)] = Number(read.next);
        const kept = newest ? read.records.slice(-q.limit) : read.records;
        records.push(...kept);
        if (read.stopped !== "end" && read.stopped !== "limit") stopped = read.stopped;
        else if (stopped === "end" && read.stopped === "limit" && !newest) stopped = "limit";
      }
      records.sort(
        (a, b) =>
          a.timestamp - b.timestamp || a.partition - b.partition || Number(a.offset - b.offset),
      );
      const page = newest ? records.slice(-q.limit) : records.slice(0, q.limit);
      // Records read but left out of the page (several partitions merged by time) are where their
      // partition's next page starts.
      if (!newest)
        for (const record of records.slice(q.limit)) {
          const key = String(record.partition);
          if (record.offset < BigInt(next[key] ?? Number.MAX_SAFE_INTEGER))
            next[key] = Number(record.offset);
        }
      return { partitions, scanned, stopped, next, page };
    });
    const messages = await Promise.all(result.page.map((r) => messageJson(deps.types, r)));
    if (q.format === "ndjson") {
      const body = messages.map((m) => JSON.stringify({ topic, ...m })).join("\n");
      return c.body(body ? `${body}\n` : "", 200, {
        "Content-Type": "application/x-ndjson",
        "Content-Disposition": `attachment; filename="${topic}.ndjson"`,
        "X-Records-Scanned": String(result.scanned),
        "X-Scan-Stopped": result.stopped,
      }) as never;
    }
    return c.json(
      {
        topic,
        partitions: result.partitions,
        scanned: result.scanned,
        stopped: result.stopped,
        next: result.next,
        messages,
      },
      200,
    );
  });

  api.openapi(routes.tail, async (c) => {
    operator(c, false);
    const { topic } = c.req.valid("param");
    const q = c.req.valid("query");
    const streams = deps.streams;
    if (!streams) throw new ApiError(404, "not_found", "the live tail is not enabled");
    const ends = await guarded("tail", () => deps.kafka.offsets(topic));
    let partitions = ends.map((p) => p.partition);
    if (q.partition !== undefined) {
      if (q.partition >= ends.length)
        throw invalid(
          "partition",
          `the topic has ${ends.length} partitions (0-${ends.length - 1})`,
        );
      partitions = [q.partition];
    }
    if (q.symbol !== undefined) partitions = [partitionForKey(q.symbol, ends.length) as number];
    if (c.req.method !== "GET")
      return c.body(null, 200, { "Content-Type": "text/event-stream" }) as never;
    const slot = streams.admission.admit(remoteAddress(c));
    if ("refused" in slot) {
      const retryAfter = String(Math.ceil(streams.limits.retryMs / 1000));
      const body = sseMessage(
        "busy",
        { error: { code: slot.refused, message: "every stream slot is taken; retry later" } },
        streams.limits.retryMs,
      );
      return c.body(body, 200, {
        "Content-Type": "text/event-stream",
        "Retry-After": retryAfter,
        Connection: "close",
      }) as never;
    }
    const next = new Map(
      ends.filter((p) => partitions.includes(p.partition)).map((p) => [p.partition, p.latest]),
    );
    const keep =
      q.symbol === undefined ? undefined : (r: KafkaRecord) => r.key?.toString("utf8") === q.symbol;
    type Shown = Awaited<ReturnType<typeof messageJson>>;
    return streamEvents<Shown>(c, {
      ready: {
        topic,
        partitions,
        from: Object.fromEntries([...next].map(([p, o]) => [p, Number(o)])),
      },
      subscribe: ({ send }) => {
        let open = true;
        void (async () => {
          while (open) {
            for (const partition of partitions) {
              if (!open) break;
              try {
                const read = await deps.kafka.read({
                  topic,
                  partition,
                  from: next.get(partition) ?? 0n,
                  limit: 500,
                  maxScan: 500,
                  deadline: Date.now() + deps.limits.timeoutMs,
                  keep,
                });
                next.set(partition, read.next);
                for (const record of read.records)
                  if (open) send(await messageJson(deps.types, record));
              } catch (error) {
                deps.log.warn({ err: error, topic, partition }, "live tail read failed; retrying");
              }
            }
            await new Promise((resolve) => setTimeout(resolve, deps.tailPollMs ?? 500));
          }
        })();
        return () => {
          open = false;
        };
      },
      key: (m) => `${m.partition}/${m.offset}`,
      message: (m) => sseMessage("message", { topic, ...m }),
      limits: streams.limits,
      done: () => slot.release(),
    }) as never;
  });

  /** Dead letters of [fromMs, toMs) matching `reason`, newest first, reading every DLQ partition. */
  const scanDeadLetters = async (options: {
    fromMs: number;
    toMs: number;
    reason?: string;
    limit: number;
  }) => {
    const topic = deps.topics.deadLetter;
    const deadline = Date.now() + deps.limits.timeoutMs;
    const [ends, starts, untils] = await Promise.all([
      deps.kafka.offsets(topic),
      deps.kafka.offsetsForTime(topic, options.fromMs),
      deps.kafka.offsetsForTime(topic, options.toMs),
    ]);
    const share = Math.max(1, Math.floor(deps.limits.scanMax / Math.max(1, ends.length)));
    const reasons: Record<string, number> = {};
    const keep = (r: KafkaRecord) => {
      const reason = deadLetterOf(r).reason;
      reasons[reason] = (reasons[reason] ?? 0) + 1;
      return options.reason === undefined || reason === options.reason;
    };
    const reads = await Promise.all(
      ends.map((p) =>
        deps.kafka.read({
          topic,
          partition: p.partition,
          from: starts.get(p.partition) ?? p.earliest,
          until: untils.get(p.partition) ?? p.latest,
          limit: options.limit,
          maxScan: share,
          deadline,
          keep,
        }),
      ),
    );
    const records = reads
      .flatMap((r) => r.records)
      .sort(
        (a, b) =>
          b.timestamp - a.timestamp || a.partition - b.partition || Number(b.offset - a.offset),
      );
    const worst =
      reads.find((r) => r.stopped === "time_limit") ??
      reads.find((r) => r.stopped === "scan_limit");
    return {
      topic,
      partitions: ends.map((p) => p.partition),
      scanned: reads.reduce((sum, r) => sum + r.scanned, 0),
      stopped: worst?.stopped ?? (reads.some((r) => r.stopped === "limit") ? "limit" : "end"),
      reasons,
      records,
      complete: !worst && reads.every((r) => r.stopped === "end"),
    } as const;
  };

  api.openapi(routes.dlq, async (c) => {
    operator(c, false);
    const q = c.req.valid("query");
    const toMs = q.to ? micros(q.to) / 1000 : now();
    const fromMs = q.from ? micros(q.from) / 1000 : toMs - 86_400_000;
    if (fromMs >= toMs) throw invalid("from", "must be before `to`");
    const scan = await guarded("dead letters", () =>
      scanDeadLetters({ fromMs, toMs, reason: q.reason, limit: q.limit }),
    );
    const deadLetters = await Promise.all(
      scan.records.slice(0, q.limit).map(async (record) => {
        const letter = deadLetterOf(record);
        const message = await messageJson(deps.types, record);
        return {
          ...letter,
          offset: Number(letter.offset),
          timestamp: new Date(letter.timestamp).toISOString(),
          source: {
            ...letter.source,
            offset: letter.source.offset === null ? null : Number(letter.source.offset),
          },
          key: message.key,
          headers: message.headers,
          value: message.value,
        };
      }),
    );
    return c.json(
      {
        topic: scan.topic,
        partitions: scan.partitions,
        scanned: scan.scanned,
        stopped: scan.stopped,
        reasons: scan.reasons,
        deadLetters,
      },
      200,
    );
  });

  api.use("/v1/kafka/dlq/redrive", bodyLimit({ maxSize: MAX_BODY, onError: tooLarge }));
  api.openapi(routes.redrive, async (c) => {
    const who = operator(c, true);
    const body = c.req.valid("json");
    const at = new Date(now()).toISOString();
    const outcome = await guarded("redrive", async () => {
      const topic = deps.topics.deadLetter;
      let records: KafkaRecord[] = [];
      let scanned = 0;
      let complete = true;
      const missing: RedrivePlanItem[] = [];
      if (body.records) {
        const wanted = [
          ...new Map(body.records.map((r) => [`${r.partition}/${r.offset}`, r])).values(),
        ];
        const deadline = Date.now() + deps.limits.timeoutMs;
        for (const want of wanted) {
          const read = await deps.kafka.read({
            topic,
            partition: want.partition,
            from: BigInt(want.offset),
            limit: 1,
            maxScan: 1,
            deadline,
          });
          scanned += read.scanned;
          const record = read.records[0];
          if (record && record.offset === BigInt(want.offset)) records.push(record);
          else
            missing.push({
              dlq: { partition: want.partition, offset: String(want.offset) },
              reason: "unknown",
              key: null,
              refused:
                read.stopped === "time_limit"
                  ? {
                      code: "not_read",
                      message:
                        "not read within API_KAFKA_TIMEOUT_MS; redrive fewer records at once",
                    }
                  : { code: "not_found", message: "no dead letter at this partition and offset" },
            });
        }
      } else if (body.filter) {
        const fromMs = micros(body.filter.from) / 1000;
        const toMs = micros(body.filter.to) / 1000;
        if (fromMs >= toMs) throw invalid("filter.from", "must be before `filter.to`", "body");
        const scan = await scanDeadLetters({
          fromMs,
          toMs,
          reason: body.filter.reason,
          limit: deps.limits.redriveMax + 1,
        });
        scanned = scan.scanned;
        complete = scan.complete;
        records = scan.records.reverse();
        if (!body.dryRun && !complete)
          throw invalid(
            "filter",
            `the range holds more than could be read in one request (${scan.scanned} records scanned); narrow it`,
            "body",
          );
      }
      if (records.length > deps.limits.redriveMax)
        throw invalid(
          body.records ? "records" : "filter",
          `matches more than ${deps.limits.redriveMax} dead letters (API_REDRIVE_MAX); narrow it`,
          "body",
        );
      const targets = new Map<string, number>();
      for (const name of [deps.topics.ticks]) {
        const ends = await deps.kafka.offsets(name).catch(() => []);
        if (ends.length > 0) targets.set(name, ends.length);
      }
      const plan = [
        ...records.map((record) =>
          planRedrive(record, {
            dlqTopic: topic,
            allowed: [deps.topics.ticks],
            partitions: targets,
            by: who,
            at,
          }),
        ),
        ...missing,
      ];
      // The checks the consumer will make, made first, so a record whose cause is still there is
      // reported by the dry run instead of being dead-lettered again.
      for (const item of plan) {
        if (!item.record) continue;
        const read = await decodeAvro(deps.types, item.record.value);
        if ("avro" in read) {
          const issues = validateTick(read.avro, {
            decodedFromAvro: true,
            maxFutureSkewMs: deps.maxFutureSkewMs,
          });
          if (issues.length > 0) {
            item.refused = {
              code: "still_invalid",
              message: issues.map((i) => `${i.path}: ${i.message}`).join("; "),
            };
            item.record = undefined;
          }
        } else if (read.encoding === "hex" && read.reason === "registry_unavailable") {
          throw new ApiError(
            503,
            "registry_unavailable",
            "the schema registry is unavailable, so the records cannot be checked; retry later",
            {},
            { "Retry-After": "5" },
          );
        } else {
          item.refused = {
            code: "still_undecodable",
            message:
              read.encoding === "hex" ? `${read.reason}: ${read.detail}` : "the value is null",
          };
          item.record = undefined;
        }
      }
      const sendable = plan.filter((p) => p.record);
      if (!body.dryRun && body.expect !== undefined && body.expect !== sendable.length)
        throw new ApiError(
          409,
          "plan_changed",
          `the dry run found ${body.expect} records to send, now ${sendable.length}; run the dry run again`,
          { sendable: sendable.length },
        );
      const sentOffsets = new Map<RedrivePlanItem, string>();
      if (!body.dryRun && sendable.length > 0) {
        const byTopic = new Map<string, RedrivePlanItem[]>();
        for (const item of sendable) {
          const list = byTopic.get(item.target?.topic as string) ?? [];
          list.push(item);
          byTopic.set(item.target?.topic as string, list);
        }
        for (const [target, items] of byTopic) {
          const offsets = await deps.kafka.produce(
            target,
            items.map((i) => i.record as NonNullable<RedrivePlanItem["record"]>),
          );
          items.forEach((item, index) => {
            const offset = offsets[index]?.offset;
            if (offset !== undefined) sentOffsets.set(item, offset);
          });
        }
        deps.log.info({ operator: who, sent: sendable.length }, "dead letters redriven");
      }
      const refused: Record<string, number> = {};
      for (const item of plan)
        if (item.refused) refused[item.refused.code] = (refused[item.refused.code] ?? 0) + 1;
      return {
        dryRun: body.dryRun,
        matched: plan.length,
        sendable: sendable.length,
        refused,
        sent: body.dryRun ? 0 : sendable.length,
        scanned,
        complete,
        items: plan.slice(0, 200).map((item) => ({
          dlq: { partition: item.dlq.partition, offset: Number(item.dlq.offset) },
          reason: item.reason,
          key: item.key,
          ...(item.target ? { target: item.target } : {}),
          ...(item.refused ? { refused: item.refused } : {}),
          ...(sentOffsets.has(item) ? { sentOffset: Number(sentOffsets.get(item)) } : {}),
        })),
      };
    });
    return c.json(outcome, 200);
  });

  api.openapi(routes.schemas, async (c) => {
    const answer = await guarded("schemas", () => deps.catalog.subjects(500));
    return c.json(answer, 200);
  });

  api.openapi(routes.schemaDiff, async (c) => {
    const { subject, a, b } = c.req.valid("param");
    const [va, vb] = await guarded("schema versions", () =>
      Promise.all([deps.catalog.version(subject, a), deps.catalog.version(subject, b)]),
    );
    for (const [name, found, asked] of [
      ["a", va, a],
      ["b", vb, b],
    ] as const)
      if (!found)
        throw new ApiError(404, "unknown_version", `${subject} has no version ${asked}`, {
          issues: [{ path: name, in: "path", message: `${subject} has no version ${asked}` }],
        });
    const from = va as NonNullable<typeof va>;
    const to = vb as NonNullable<typeof vb>;
    if (from.schemaType !== "AVRO" || to.schemaType !== "AVRO")
      throw invalid(
        "subject",
        `only Avro schemas are compared (this is ${from.schemaType})`,
        "path",
      );
    const changes = diffAvro(JSON.parse(from.schema), JSON.parse(to.schema));
    return c.json(
      {
        subject,
        from: { version: from.version, id: from.id },
        to: { version: to.version, id: to.id },
        changes,
      },
      200,
    );
  });
}

/** A record as the console shows it, its value decoded through the registry or in hex. */
async function messageJson(types: WriterTypes, record: KafkaRecord) {
  const key = textOrHex(record.key);
  const headers: Record<string, string> = {};
  for (const [name, value] of record.headers) {
    const shown = textOrHex(value);
    headers[name] = shown === null ? "" : "text" in shown ? shown.text : `0x${shown.hex}`;
  }
  return {
    partition: record.partition,
    offset: Number(record.offset),
    timestamp: new Date(record.timestamp).toISOString(),
    key: key && "text" in key ? key.text : null,
    ...(key && "hex" in key ? { keyHex: key.hex } : {}),
    headers,
    value: await decodeValue(types, record.value),
  };
}

/**
 * The operator's name when the request may act: with API_OPERATOR_TOKENS, a bearer token of
 * theirs; without, any loopback client ("loopback"). `required` false lets anyone through.
 */
export function authorize(c: Context, tokens: readonly BearerToken[], required: boolean): string {
  const header = c.req.header("authorization");
  if (tokens.length > 0) {
    const found = bearerTokenOf(tokens, header);
    if (found) return found.name;
    if (!required) return "anonymous";
    throw new ApiError(
      401,
      header ? "invalid_operator_token" : "operator_token_required",
      header
        ? "the bearer token is not one of API_OPERATOR_TOKENS"
        : "this needs Authorization: Bearer <a token of API_OPERATOR_TOKENS>",
      {},
      { "WWW-Authenticate": "Bearer" },
    );
  }
  if (!required) return "anonymous";
  if (isLoopback(remoteAddress(c))) return "loopback";
  throw new ApiError(
    403,
    "loopback_only",
    "without API_OPERATOR_TOKENS only clients on this machine may do this",
  );
}

/**
 * Whether a peer address is on this machine (127.0.0.0/8, ::1, IPv4-mapped 127.x).
 *
 * @example
 *   isLoopback("::ffff:127.0.0.1"); // true
 */
export function isLoopback(address: string): boolean {
  return /^(127\.|::1$|::ffff:127\.)/.test(address);
}

function tooLarge(): never {
  throw new ApiError(413, "body_too_large", `request body exceeds ${MAX_BODY} bytes`, {
    limitBytes: MAX_BODY,
  });
}

function invalid(name: string, message: string, where = "query") {
  return new ApiError(400, "invalid_parameter", `${name}: ${message}`, {
    issues: [{ path: name, in: where, message }],
  });
}

function micros(text: string): number {
  const parsed = parseTimestamp(text);
  if (!parsed.ok) throw new Error(`unvalidated time ${text}`);
  return parsed.micros;
}

const round = (value: number) => Math.round(value * 1000) / 1000;
