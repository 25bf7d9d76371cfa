import type { OpenAPIHono } from "@hono/zod-openapi";
import { ApiError, limitBody } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import type { BearerToken } from "@repo/platform/tokens";
import type { Context } from "hono";
import type { JobHistory } from "../ops/job-history.ts";
import { relayAnswer, type Upstream, type UpstreamAnswer } from "../ops/upstream.ts";
import { authorize } from "./console-routes.ts";
import { opsRoutes as routes } from "./ops-specs.ts";

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
  const relay = (c: Context, answer: UpstreamAnswer) =>
    relayAnswer(c, answer, {
      name: "ingest",
      tokenVariable: "INGEST_OPERATOR_TOKEN",
      log: deps.log,
    });

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

  api.use("/v1/backfills", limitBody(MAX_BODY));
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
