import { createRoute, z } from "@hono/zod-openapi";
import { failure } from "@repo/contracts/http-errors";
import {
  bearer,
  dlqQuery,
  errors,
  messagesQuery,
  ok,
  prefixParam,
  redriveBody,
  resetBody,
  topicParam,
  version,
} from "./console-params.ts";
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

/** The console's routes as OpenAPI specifications (served in `/openapi.json`). */
export const routes = {
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
