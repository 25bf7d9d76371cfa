/**
 * The JSON the api answers, as zod schemas (they document /openapi.json) and the types clients
 * read. Nothing here imports server code, so the dashboard can `import type` from it.
 */
import { z } from "@hono/zod-openapi";
import { INTERVALS } from "../market/time.ts";

const decimal = z.string().openapi({ example: "187.25", description: "Exact decimal" });
const nullableDecimal = decimal.nullable();
const time = z
  .string()
  .openapi({ example: "2026-01-05T14:30:00.123456Z", description: "ISO-8601 UTC, microseconds" });

/**
 * A tick as the api answers it (`tickToJson`). Kept equal to the contract's `Tick` by
 * `responses.test.ts`: a field added, removed or retyped in `schemas/Tick.avsc` fails
 * `bun run typecheck` there until this schema follows (this file cannot import the contract: the
 * dashboard's browser program reads it).
 */
export const TickSchema = z
  .object({
    source: z.string(),
    symbol: z.string(),
    kind: z.enum(["TRADE", "QUOTE"]),
    eventTime: time,
    sequence: z.number().int(),
    price: decimal,
    size: z.number().int(),
    bid: nullableDecimal,
    ask: nullableDecimal,
    bidSize: z.number().int().nullable(),
    askSize: z.number().int().nullable(),
    exchange: z.string().nullable(),
    ingestTime: time,
    cancelled: z.boolean().openapi({
      description:
        "The provider cancelled this trade (a bust, or the original of a correction): kept, marked, and in no bar",
    }),
  })
  .openapi("Tick");

export const BarSchema = z
  .object({
    start: time,
    open: decimal,
    high: decimal,
    low: decimal,
    close: decimal,
    volume: z.number().int(),
    vwap: decimal,
    trades: z.number().int(),
  })
  .openapi("Bar");

export const SymbolsResponse = z
  .object({
    symbols: z.array(z.object({ symbol: z.string(), latestEventTime: time })),
  })
  .openapi("Symbols");

export const QuotesResponse = z.object({ quotes: z.array(TickSchema) }).openapi("Quotes");

export const BarsResponse = z
  .object({
    symbol: z.string(),
    interval: z.enum(Object.keys(INTERVALS) as [string, ...string[]]),
    bars: z.array(BarSchema),
  })
  .openapi("Bars");

export const TicksResponse = z
  .object({ ticks: z.array(TickSchema), next: z.string().nullable() })
  .openapi("Ticks");

/** One pipeline service as `/v1/pipeline` reports it. */
export const ServiceHealthSchema = z.object({
  service: z.string(),
  ok: z.boolean(),
  state: z.enum(["up", "down"]),
  /** Operators only: where the api reads the service. */
  url: z.string().optional(),
  /** The service's `/stats` when it answered: whole for operators, the dashboard's figures otherwise. */
  stats: z.record(z.string(), z.unknown()).optional(),
  /** Operators only: why the service is down. */
  error: z.string().optional(),
});

export const PipelineResponse = z
  .object({ services: z.array(ServiceHealthSchema) })
  .openapi("Pipeline");

/** The JSON shapes the api answers, as clients (the dashboard, tests) read them. */
export type TickJson = z.infer<typeof TickSchema>;
export type BarJson = z.infer<typeof BarSchema>;
export type ServiceHealth = z.infer<typeof ServiceHealthSchema>;
export type SymbolsJson = z.infer<typeof SymbolsResponse>;
export type BarsJson = z.infer<typeof BarsResponse>;
export type PipelineJson = z.infer<typeof PipelineResponse>;
