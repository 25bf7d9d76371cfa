/**
 * The JSON of the runs, providers, streams, backfills, alerts and streaming-job routes, as zod
 * schemas (they document /openapi.json) and the types the dashboard reads. Ingest's answers are
 * passed on as ingest documents them (apps/ingest/README.md), so their objects are open.
 */
import { z } from "@hono/zod-openapi";

const open = z.looseObject({});

export const RunSchema = z
  .looseObject({
    id: z.string(),
    provider: z.string(),
    kind: z.enum(["poll", "stream_session", "gap_recovery", "backfill"]),
    trigger: z.enum(["schedule", "manual", "stream"]),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    outcome: z.enum(["running", "ok", "failed", "cancelled", "interrupted"]),
    error: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
    fetched: z.number(),
    accepted: z.number(),
    forwarded: z.number(),
    refused: z.record(z.string(), z.number()),
    skipped: z.record(z.string(), z.number()),
    dropped: z.number(),
    pending: z.number(),
  })
  .openapi("Run");

export const RunsResponse = z
  .object({
    from: z.string(),
    to: z.string(),
    providers: z.array(z.string()),
    runs: z.array(RunSchema),
    storeError: z.string().nullable(),
  })
  .openapi("Runs");

export const ScheduleSchema = z.looseObject({
  cron: z.string(),
  timezone: z.string(),
  regularHoursOnly: z.boolean(),
  nextRunAt: z.string().nullable(),
  nextRuns: z.array(z.string()),
  paused: z.boolean(),
  running: z.boolean(),
});

export const ProviderSchema = z
  .looseObject({
    name: z.string(),
    mode: z.string(),
    paused: z.boolean(),
    pausedAt: z.string().nullable(),
    pausedBy: z.string().nullable(),
    schedule: ScheduleSchema.nullable().optional(),
    state: z.string().optional(),
  })
  .openapi("Provider");

const SessionSchema = z.looseObject({
  date: z.string(),
  open: z.string(),
  close: z.string(),
  earlyClose: z.boolean(),
});

export const CalendarSchema = z
  .looseObject({
    open: z.boolean(),
    session: SessionSchema.nullable(),
    sessions: z.array(SessionSchema),
    holidays: z.array(open),
    earlyCloses: z.array(open),
  })
  .openapi("Calendar");

export const ProvidersResponse = z
  .object({ providers: z.array(ProviderSchema), calendar: CalendarSchema })
  .openapi("Providers");

export const ProviderResponse = ProviderSchema;

export const TriggeredRunResponse = z.object({ run: RunSchema.nullable() }).openapi("TriggeredRun");

export const StreamsResponse = z
  .object({
    streams: z.array(
      z.looseObject({
        state: z.string(),
        messagesPerSecond: z.number().nullable(),
        lastMessageAgeMs: z.number().nullable(),
        reconnects: z.number(),
        connections: z.array(open),
        gaps: z.looseObject({
          detected: z.number(),
          recovered: z.number(),
          unrecovered: z.number(),
          pending: z.number(),
        }),
        recentGaps: z.array(open),
      }),
    ),
  })
  .openapi("Streams");

export const BackfillPlanSchema = z
  .looseObject({
    sessions: z.number(),
    closedDays: z.number(),
    units: z.number(),
    requests: z.looseObject({ min: z.number(), estimate: z.number() }),
    ratePerMinute: z.number(),
    seconds: z.looseObject({ min: z.number(), estimate: z.number() }),
    firstSession: z.string().nullable(),
    lastSession: z.string().nullable(),
  })
  .openapi("BackfillPlan");

export const BackfillSchema = z
  .looseObject({
    id: z.string(),
    status: z.enum(["queued", "running", "done", "failed", "cancelled"]),
    plan: BackfillPlanSchema,
    progress: z.looseObject({
      unitsDone: z.number(),
      units: z.number(),
      pages: z.number(),
      fetched: z.number(),
      accepted: z.number(),
      forwarded: z.number(),
      refused: z.number(),
      dropped: z.number(),
    }),
  })
  .openapi("Backfill");

export const BackfillStartResponse = z
  .union([
    z.object({ dryRun: z.literal(true), plan: BackfillPlanSchema }),
    z.object({ backfill: BackfillSchema }),
  ])
  .openapi("BackfillStart");

export const BackfillResponse = z.object({ backfill: BackfillSchema });
export const BackfillsResponse = z.object({ backfills: z.array(BackfillSchema) });

export const AlertSchema = z
  .object({
    name: z.string(),
    severity: z.string().nullable(),
    state: z.string(),
    activeAt: z.string().nullable(),
    summary: z.string().nullable(),
    description: z.string().nullable(),
    labels: z.record(z.string(), z.string()),
  })
  .openapi("Alert");

export const AlertsResponse = z
  .object({
    alerts: z.array(AlertSchema),
    /** Alerts whose condition holds but not yet for their `for:` time. */
    pending: z.number().int(),
  })
  .openapi("FiringAlerts");

export const JobPointSchema = z
  .object({
    at: z.string(),
    recordsInPerSecond: z.number(),
    writtenPerSecond: z.number(),
    deadLettersPerSecond: z.number(),
    lag: z.number(),
    batchP50Ms: z.number().nullable(),
    batchP99Ms: z.number().nullable(),
    endToEndP50Ms: z.number().nullable(),
    endToEndP99Ms: z.number().nullable(),
    steady: z.boolean(),
  })
  .openapi("StreamingJobPoint");

export const StreamingJobResponse = z
  .object({
    consumer: z.enum(["up", "down"]),
    sampleMs: z.number().int(),
    windowMs: z.number().int(),
    window: z.string(),
    points: z.array(JobPointSchema),
  })
  .openapi("StreamingJob");

export type RunJson = z.infer<typeof RunSchema>;
export type RunsJson = z.infer<typeof RunsResponse>;
export type ProvidersJson = z.infer<typeof ProvidersResponse>;
export type ProviderJson = z.infer<typeof ProviderSchema>;
export type StreamsJson = z.infer<typeof StreamsResponse>;
export type BackfillJson = z.infer<typeof BackfillSchema>;
export type BackfillPlanJson = z.infer<typeof BackfillPlanSchema>;
export type AlertsJson = z.infer<typeof AlertsResponse>;
export type StreamingJobJson = z.infer<typeof StreamingJobResponse>;
export type JobPointJson = z.infer<typeof JobPointSchema>;
