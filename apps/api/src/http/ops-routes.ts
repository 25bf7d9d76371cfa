import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import type { BearerToken } from "@repo/platform/tokens";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { JobHistory } from "../ops/job-history.ts";
import type { Upstream, UpstreamAnswer } from "../ops/upstream.ts";
import { authorize } from "./console-routes.ts";
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
import { ErrorResponse } from "./responses.ts";
import { operatorSecurity, timeParam } from "./schemas.ts";

export interface OpsDeps {
  log: Logger;
  /** Ingest's HTTP API (INGEST_URL, sending INGEST_OPERATOR_TOKEN). */
  ingest: Upstream;
  /** Prometheus' HTTP API (PROMETHEUS_URL). */
  prometheus: Upstream;
  /** The consumer's readings of the last hour. */
  job: JobHistory;
  operatorTokens: readonly BearerToken[];
}

const MAX_BODY = 16 * 1024;
const PROVIDER = /^[a-z0-9_-]{1,64}$/;
const DATE = /^\d{4}-\d\d-\d\d$/;

const failure = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorResponse } },
});
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

const date = z
  .string()
  .regex(DATE, "must be a date YYYY-MM-DD")
  .refine((text) => {
    const parsed = Date.parse(`${text}T00:00:00Z`);
    return !Number.isNaN(parsed) && new Date(parsed).toISOString().slice(0, 10) === text;
  }, "must be a real date");

const backfillBody = z
  .object({
    provider: z.literal("alpaca", { error: "must be alpaca (the one provider with tick history)" }),
    symbols: z
      .array(z.string().regex(/^[A-Za-z0-9.-]{1,12}$/, "must be a ticker like AAPL"))
      .min(1)
      .max(100),
    from: date.openapi({ description: "First day (UTC date), inclusive", example: "2026-11-20" }),
    to: date.openapi({ description: "Last day, exclusive", example: "2026-11-21" }),
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

const routes = {
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

/**
 * The operations routes: ingest's runs, providers and calendar, streams, actions (run now,
 * pause, resume) and backfills through ingest's own HTTP API; Prometheus' firing alerts; the
 * streaming job's last hour. Actions need an operator token (loopback without tokens).
 *
 * @example
 *   mountOpsRoutes(api, { log, ingest, prometheus, job, operatorTokens });
 */
export function mountOpsRoutes(api: OpenAPIHono, deps: OpsDeps) {
  const operator = (c: Context) => authorize(c, deps.operatorTokens, true);
  /** Ingest's answer as it came; its refusal of the api's own token is the api's 503. */
  const relay = (c: Context, answer: UpstreamAnswer) => {
    if (answer.status === 401 || answer.status === 403) {
      deps.log.error(
        { status: answer.status, code: (answer.body.error as { code?: string })?.code },
        "ingest refused the api's operator action: check INGEST_OPERATOR_TOKEN",
      );
      throw new ApiError(
        503,
        "ingest_refused_api",
        "ingest refused the api's credentials (INGEST_OPERATOR_TOKEN); tell the operator",
      );
    }
    return c.json(answer.body, answer.status as 200) as never;
  };

  api.openapi(routes.runs, async (c) => {
    const query = c.req.valid("query");
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.provider) params.set("provider", query.provider);
    if (query.from) params.set("from", query.from);
    if (query.to) params.set("to", query.to);
    return relay(c, await deps.ingest.request("GET", `/runs?${params}`));
  });

  api.openapi(routes.providers, async (c) => {
    const [providers, calendar] = await Promise.all([
      deps.ingest.request("GET", "/providers"),
      deps.ingest.request("GET", "/calendar?days=30"),
    ]);
    if (providers.status !== 200) return relay(c, providers);
    if (calendar.status !== 200) return relay(c, calendar);
    return c.json({ ...providers.body, calendar: calendar.body } as never, 200);
  });

  for (const action of ["run", "pause", "resume"] as const)
    api.openapi(routes[action], async (c) => {
      const who = operator(c);
      const { name } = c.req.valid("param");
      const answer = await deps.ingest.request("POST", `/providers/${name}/${action}`);
      deps.log.info(
        { operator: who, provider: name, action, status: answer.status },
        "provider action",
      );
      return relay(c, answer);
    });

  api.openapi(routes.streams, async (c) => relay(c, await deps.ingest.request("GET", "/streams")));

  api.use("/v1/backfills", bodyLimit({ maxSize: MAX_BODY, onError: tooLarge }));
  api.openapi(routes.startBackfill, async (c) => {
    const who = operator(c);
    const body = c.req.valid("json");
    const answer = await deps.ingest.request("POST", "/backfills", {
      ...body,
      symbols: body.symbols.map((s) => s.toUpperCase()),
    });
    if (!body.dryRun)
      deps.log.info(
        { operator: who, status: answer.status, symbols: body.symbols },
        "backfill started",
      );
    return relay(c, answer);
  });

  api.openapi(routes.backfills, async (c) =>
    relay(c, await deps.ingest.request("GET", "/backfills")),
  );
  api.openapi(routes.backfill, async (c) =>
    relay(c, await deps.ingest.request("GET", `/backfills/${c.req.valid("param").id}`)),
  );
  api.openapi(routes.cancelBackfill, async (c) => {
    const who = operator(c);
    const { id } = c.req.valid("param");
    const answer = await deps.ingest.request("DELETE", `/backfills/${id}`);
    deps.log.info({ operator: who, backfill: id, status: answer.status }, "backfill cancel");
    return relay(c, answer);
  });

  api.openapi(routes.alerts, async (c) => {
    const answer = await deps.prometheus.request("GET", "/api/v1/alerts");
    const data = answer.body.data as { alerts?: PrometheusAlert[] } | undefined;
    if (answer.status !== 200 || !Array.isArray(data?.alerts)) {
      deps.log.warn({ status: answer.status }, "Prometheus answered no alert list");
      throw new ApiError(
        503,
        "prometheus_unavailable",
        "Prometheus is unavailable; retry later",
        {},
        {
          "Retry-After": "5",
        },
      );
    }
    const firing = data.alerts
      .filter((a) => a.state === "firing")
      .map((a) => ({
        name: a.labels?.alertname ?? "unnamed",
        severity: a.labels?.severity ?? null,
        state: "firing",
        activeAt: a.activeAt ?? null,
        summary: a.annotations?.summary ?? null,
        description: a.annotations?.description ?? null,
        labels: a.labels ?? {},
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const pending = data.alerts.filter((a) => a.state === "pending").length;
    return c.json({ alerts: firing, pending }, 200);
  });

  api.openapi(routes.job, (c) => {
    const windowS = Math.round(deps.job.windowMs / 1000);
    return c.json(
      {
        consumer: deps.job.consumerUp() ? ("up" as const) : ("down" as const),
        sampleMs: deps.job.sampleMs,
        windowMs: deps.job.windowMs,
        window: `end-to-end p50/p99 of the ticks written in the ${windowS} s before each point; steady = at every reading in those ${windowS} s the consumer's lag was at most 100 records or 1 s of its writes (in flight, not a backlog)`,
        points: deps.job.points(),
      },
      200,
    );
  });
}

interface PrometheusAlert {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  state?: string;
  activeAt?: string;
}

function tooLarge(): never {
  throw new ApiError(413, "body_too_large", `request body exceeds ${MAX_BODY} bytes`, {
    limitBytes: MAX_BODY,
  });
}
