import { createRoute, z } from "@hono/zod-openapi";
import { failure } from "@repo/contracts/http-errors";
import { calendarDate } from "@repo/platform/http";
import {
  AlertsResponse,
  BackfillResponse,
  BackfillStartResponse,
  BackfillsResponse,
  ProviderResponse,
  ProvidersResponse,
  RunsResponse,
  StreamingJobResponse,
  StreamsResponse,
  TriggeredRunResponse,
} from "./ops-responses.ts";
import { operatorSecurity, timeParam } from "./schemas.ts";

const PROVIDER = /^[a-z0-9_-]{1,64}$/;

const reads = {
  400: failure("A parameter is invalid; `error.issues` names each one"),
  503: failure(
    "Ingest (`ingest_unavailable`) or Prometheus (`prometheus_unavailable`) did not answer in time; retry after `Retry-After` seconds",
  ),
};
const actions = {
  ...reads,
  401: failure("An operator token is needed (`operator_token_required`, `invalid_operator_token`)"),
  403: failure("Without API_OPERATOR_TOKENS only loopback clients may do this (`loopback_only`)"),
  404: failure("Ingest has no such provider or backfill (`unknown_provider`, `not_found`)"),
  409: failure(
    "Ingest refused the action in this state (`provider_paused`, `run_in_progress`, `provider_streams`, `not_pausable`, `backfill_ended`, …)",
  ),
  413: failure("The body is larger than 16 KiB (`body_too_large`)"),
};
const ok = <T extends z.ZodType>(
  schema: T,
  description: string,
  errors: Record<number, ReturnType<typeof failure>> = reads,
) => ({
  200: { description, content: { "application/json": { schema } } },
  ...errors,
});

const providerParam = z
  .string()
  .regex(PROVIDER, "must be a provider name such as simulator")
  .openapi({ param: { name: "name", in: "path" }, example: "simulator" });
const backfillId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,100}$/, "must be a backfill id")
  .openapi({ param: { name: "id", in: "path" } });

const runsQuery = z
  .object({
    provider: z
      .string()
      .regex(PROVIDER, "must be a provider name such as simulator")
      .optional()
      .openapi({ param: { name: "provider", in: "query" }, description: "Default: all" }),
    from: timeParam("from", "Runs started at or after (default: 24 hours before `to`)"),
    to: timeParam("to", "Runs started before (default: now + 1 min)"),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(100)
      .openapi({ param: { name: "limit", in: "query" } }),
  })
  .strict();

const backfillBody = z
  .object({
    provider: z.literal("alpaca", { error: "must be alpaca (the one provider with tick history)" }),
    symbols: z
      .array(z.string().regex(/^[A-Za-z0-9.-]{1,12}$/, "must be a ticker like AAPL"))
      .min(1)
      .max(100),
    from: calendarDate.meta({
      description: "First day (UTC date), inclusive",
      example: "2026-11-20",
    }),
    to: calendarDate.meta({ description: "Last day, exclusive", example: "2026-11-21" }),
    kinds: z
      .array(z.enum(["trades", "quotes"]))
      .min(1)
      .max(2)
      .optional(),
    dryRun: z.boolean().default(true).openapi({
      description:
        "true (the default) only answers the plan (sessions, requests, time under the rate budget); send false to start it",
    }),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.from >= body.to)
      ctx.addIssue({ code: "custom", path: ["to"], message: "must be after `from`" });
  })
  .openapi("BackfillRequest");

const providerAction = (action: "run" | "pause" | "resume") =>
  createRoute({
    method: "post",
    path: `/v1/providers/{name}/${action}`,
    summary: {
      run: "Polls a provider now (a `manual` run) and answers the run",
      pause: "Pauses a provider: its schedule starts no run (a stream disconnects) until resumed",
      resume: "Resumes a paused provider",
    }[action],
    description: `Operator action, passed to ingest's \`POST /providers/{name}/${action}\`.`,
    security: operatorSecurity,
    request: { params: z.object({ name: providerParam }) },
    responses: ok(
      action === "run" ? TriggeredRunResponse : ProviderResponse,
      action === "run" ? "The run (its records may still be pending)" : "The provider",
      actions,
    ),
  });

/** The operations routes as /openapi.json documents them (validated by these schemas). */
export const opsRoutes = {
  runs: createRoute({
    method: "get",
    path: "/v1/runs",
    summary: "Ingest's runs (polls, stream sessions, gap recoveries, backfills), newest first",
    description:
      "Runs started in [from, to) (at most 31 days) with outcome, fetched, accepted, forwarded, refused by reason, skipped, dropped, pending and the error. From ingest's `GET /runs`.",
    request: { query: runsQuery },
    responses: ok(RunsResponse, "Runs, newest first"),
  }),
  providers: createRoute({
    method: "get",
    path: "/v1/providers",
    summary: "Ingest's providers with their schedules, and the NYSE calendar ahead",
    description:
      "Each provider's mode, pause state and schedule (cron, time zone, next runs); `calendar`: the next 30 days' sessions, holidays and early closes. From ingest's `GET /providers` and `GET /calendar`.",
    responses: ok(ProvidersResponse, "Providers and the calendar"),
  }),
  run: providerAction("run"),
  pause: providerAction("pause"),
  resume: providerAction("resume"),
  streams: createRoute({
    method: "get",
    path: "/v1/streams",
    summary: "Ingest's WebSocket streams: state, messages/s, last frame age, reconnects, gaps",
    responses: ok(StreamsResponse, "One entry per streaming provider"),
  }),
  startBackfill: createRoute({
    method: "post",
    path: "/v1/backfills",
    summary: "Plans (dry run, the default) or starts a backfill of Alpaca history",
    description:
      "A dry run answers the plan without a request to Alpaca; `dryRun: false` queues the job (202). Operator action.",
    security: operatorSecurity,
    request: {
      body: { content: { "application/json": { schema: backfillBody } }, required: true },
    },
    responses: {
      ...ok(BackfillStartResponse, "The plan (dry run)", actions),
      202: {
        description: "The backfill, queued",
        content: { "application/json": { schema: BackfillStartResponse } },
      },
    },
  }),
  backfills: createRoute({
    method: "get",
    path: "/v1/backfills",
    summary: "Backfill jobs with status, plan and progress",
    responses: ok(BackfillsResponse, "Backfills"),
  }),
  backfill: createRoute({
    method: "get",
    path: "/v1/backfills/{id}",
    summary: "One backfill with status, plan and progress",
    request: { params: z.object({ id: backfillId }) },
    responses: ok(BackfillResponse, "The backfill", { ...reads, 404: actions[404] }),
  }),
  cancelBackfill: createRoute({
    method: "delete",
    path: "/v1/backfills/{id}",
    summary: "Cancels a queued or running backfill (answers once it stopped fetching)",
    security: operatorSecurity,
    request: { params: z.object({ id: backfillId }) },
    responses: ok(BackfillResponse, "The cancelled backfill", actions),
  }),
  alerts: createRoute({
    method: "get",
    path: "/v1/alerts/firing",
    summary: "Prometheus alerts firing now (the rules in monitoring/rules)",
    description: "From Prometheus' `GET /api/v1/alerts` (PROMETHEUS_URL).",
    responses: ok(AlertsResponse, "Firing alerts, by name"),
  }),
  job: createRoute({
    method: "get",
    path: "/v1/streaming-job",
    summary: "The consumer's last hour: records in and written per second, batches, lag, latency",
    description:
      "The api reads the consumer's /stats and /metrics every API_JOB_SAMPLE_MS. Rates and batch quantiles are over each interval between readings; end-to-end quantiles (ingestTime → stored) over the ticks written in the `windowMs` (API_JOB_WINDOW_MS) before each point, and `steady` is true when at every reading of that window the consumer's lag was at most 100 records or one second of its writes (no start-up backlog in it). Kept in memory: an api restart starts a new hour.",
    responses: ok(StreamingJobResponse, "Points, oldest first"),
  }),
};
