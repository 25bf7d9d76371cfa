import { z } from "@repo/platform/config";
import {
  ApiError,
  calendarDate,
  describeIssues,
  formatPath,
  parseJson,
  type ServiceApp,
} from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import type { BearerToken } from "@repo/platform/tokens";
import type { BackfillManager } from "../control/backfills.ts";
import { calendarAhead } from "../control/calendar.ts";
import type { ProviderControl } from "../control/providers.ts";
import type { StreamProvider } from "../providers/provider.ts";
import type { RunLedger } from "../runs/ledger.ts";
import type { Run } from "../runs/run.ts";
import { createOperatorCheck } from "./operator.ts";
import { streamsView } from "./streams.ts";

const DAY_MS = 86_400_000;
/** Longest range `GET /runs` reads (one Cassandra partition per provider and day). */
export const MAX_RUN_RANGE_DAYS = 31;
export const MAX_RUNS = 1_000;

const instant = z
  .string()
  .refine((text) => !Number.isNaN(Date.parse(text)), "must be an ISO-8601 time")
  .transform((text) => Date.parse(text));

const runsQuery = z
  .object({
    provider: z
      .string()
      .regex(/^[a-z0-9_-]{1,64}$/, "must be a provider name such as simulator")
      .optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_RUNS).default(100),
  })
  .strict();

const calendarQuery = z
  .object({ days: z.coerce.number().int().min(1).max(366).default(14) })
  .strict();

const backfillBody = z
  .object({
    provider: z.literal("alpaca", {
      error: "must be alpaca (Finnhub's tick history is a premium endpoint)",
    }),
    symbols: z
      .array(z.string().regex(/^[A-Za-z0-9.-]{1,12}$/, "must be a ticker like AAPL"))
      .min(1)
      .max(100)
      .transform((list) => list.map((s) => s.toUpperCase())),
    from: calendarDate,
    to: calendarDate,
    kinds: z
      .array(z.enum(["trades", "quotes"]))
      .min(1)
      .default(["trades", "quotes"]),
    dryRun: z.boolean().default(false),
  })
  .strict();

/** Validates a query string with zod: 400 `invalid_request` naming each field and reason. */
function parseQuery<S extends z.ZodType>(query: Record<string, string>, schema: S): z.infer<S> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
  throw new ApiError(400, "invalid_request", describeIssues(issues), { issues });
}

export interface IngestRoutesOptions {
  log: Logger;
  ledger: RunLedger;
  providers: ProviderControl;
  backfills: BackfillManager;
  streams: readonly StreamProvider[];
  operatorTokens: readonly BearerToken[];
  now?: () => number;
}

/**
 * Ingest's own API, for operators and the api service (which proxies it; it never reaches into
 * ingest): runs by provider and time range, providers with their schedules and the exchange
 * calendar, streams with their gaps, and the operator actions (run now, pause, resume, backfills
 * with a dry run, cancel), which need an INGEST_OPERATOR_TOKENS bearer token or a loopback client.
 *
 * @example
 *   addIngestRoutes(app, { log, ledger, providers, backfills, streams, operatorTokens: [] });
 *   await app.request("/runs?provider=simulator&limit=10");
 */
export function addIngestRoutes(app: ServiceApp, options: IngestRoutesOptions): ServiceApp {
  const { ledger, providers, backfills } = options;
  const now = options.now ?? Date.now;
  const operator = createOperatorCheck({ tokens: options.operatorTokens, log: options.log });

  app.get("/runs", async (c) => {
    const query = parseQuery(c.req.query(), runsQuery);
    const toMs = query.to ?? now() + 60_000;
    const fromMs = query.from ?? toMs - DAY_MS;
    if (fromMs >= toMs) throw invalid("from", "must be before to");
    if (toMs - fromMs > MAX_RUN_RANGE_DAYS * DAY_MS)
      throw invalid("from", `the range may span at most ${MAX_RUN_RANGE_DAYS} days`);
    // Backfills run as alpaca runs whether or not alpaca is polled or streamed.
    const names = query.provider
      ? [query.provider]
      : [...new Set([...providers.list().map((p) => p.name), "alpaca"])];
    const runs: Run[] = [];
    let storeError: string | null = null;
    for (const provider of names) {
      const listed = await ledger.list({ provider, fromMs, toMs, limit: query.limit });
      runs.push(...listed.runs);
      storeError ??= listed.storeError;
    }
    runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.id.localeCompare(b.id));
    return c.json({
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      providers: names,
      runs: runs.slice(0, query.limit),
      /** Set when the store could not be read: runs then come from memory only. */
      storeError,
    });
  });

  app.get("/providers", (c) => c.json({ providers: providers.list() }));
  app.get("/providers/:name", (c) => c.json(providers.view(c.req.param("name"))));
  app.post("/providers/:name/run", async (c) => {
    const by = operator(c);
    const run = await providers.runNow(c.req.param("name"));
    options.log.info(
      { provider: c.req.param("name"), by, run: run?.id },
      "provider run by an operator",
    );
    return c.json({ run: run ?? null });
  });
  app.post("/providers/:name/pause", async (c) =>
    c.json(await providers.pause(c.req.param("name"), operator(c))),
  );
  app.post("/providers/:name/resume", async (c) =>
    c.json(await providers.resume(c.req.param("name"), operator(c))),
  );

  app.get("/calendar", (c) => {
    const { days } = parseQuery(c.req.query(), calendarQuery);
    return c.json(calendarAhead(new Date(now()), days));
  });

  app.get("/streams", (c) => c.json({ streams: streamsView(options.streams) }));

  app.post("/backfills", async (c) => {
    const by = operator(c);
    const { dryRun, ...request } = await parseJson(c, backfillBody);
    if (dryRun) return c.json({ dryRun: true, plan: backfills.plan(request) });
    return c.json({ backfill: await backfills.start(request, by) }, 202);
  });
  app.get("/backfills", async (c) => c.json({ backfills: await backfills.list() }));
  app.get("/backfills/:id", async (c) =>
    c.json({ backfill: await backfills.get(c.req.param("id")) }),
  );
  app.delete("/backfills/:id", async (c) => {
    const by = operator(c);
    return c.json({ backfill: await backfills.cancel(c.req.param("id"), by) });
  });
  return app;
}

function invalid(path: string, message: string) {
  return new ApiError(400, "invalid_request", `${path}: ${message}`, {
    issues: [{ path, message }],
  });
}
