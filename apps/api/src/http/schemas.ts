import { z } from "@hono/zod-openapi";
import { parseTimestamp, SYMBOL_PATTERN } from "@repo/contracts";
import { timeParam } from "@repo/contracts/http-params";
import { INTERVALS } from "../market/time.ts";

/** Symbols one `/v1/quotes` or `/v1/stream` request may name. */
export const MAX_SYMBOLS = 50;
export const MAX_TICKS_LIMIT = 5000;
export const DEFAULT_TICKS_LIMIT = 1000;
/** The longest `from`–`to` span `/v1/ticks` reads (one partition per day). */
export const MAX_TICKS_SPAN_DAYS = 31;

const TICKER = /^[A-Za-z0-9.-]{1,12}$/;

export const symbolParam = z
  .string()
  .regex(TICKER, "must be a ticker like AAPL or BRK.B (1–12 letters, digits, '.' or '-')")
  .transform((symbol) => symbol.toUpperCase())
  .openapi({ param: { name: "symbol", in: "path" }, example: "AAPL" });

/** Operator actions in OpenAPI: they need a bearer token from `API_OPERATOR_TOKENS`. */
export const operatorSecurity = [{ operatorToken: [] }];

/** An optional ISO-8601 time query parameter (the one every edge uses, also analytics'). */
export { timeParam };

const symbolsText = z
  .string()
  .max(MAX_SYMBOLS * 13, `must name at most ${MAX_SYMBOLS} symbols`)
  .superRefine((text, ctx) => {
    const symbols = splitSymbols(text);
    if (symbols.length === 0) ctx.addIssue({ code: "custom", message: "must name a symbol" });
    if (symbols.length > MAX_SYMBOLS)
      ctx.addIssue({ code: "custom", message: `must name at most ${MAX_SYMBOLS} symbols` });
    const bad = symbols.find((symbol) => !SYMBOL_PATTERN.test(symbol));
    if (bad !== undefined)
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(bad)} is not a ticker` });
  });
const symbolsDoc = { param: { name: "symbols", in: "query" as const }, example: "AAPL,MSFT" };

/** `AAPL,MSFT`: up to {@link MAX_SYMBOLS} tickers (see {@link splitSymbols}). */
export const symbolsParam = symbolsText.openapi({
  ...symbolsDoc,
  description: "Comma-separated tickers",
});
export const optionalSymbolsParam = symbolsText
  .optional()
  .openapi({ ...symbolsDoc, description: "Comma-separated tickers (default: every symbol)" });

/** Distinct upper-case symbols of a comma list, in the order given. */
export function splitSymbols(text: string): string[] {
  const parts = text
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  return [...new Set(parts)];
}

export const barsQuery = z.object({
  from: timeParam("from", "First bar start included (default: 300 bars before `to`)"),
  to: timeParam("to", "Bars starting before this time (default: now)"),
  interval: z
    .enum(Object.keys(INTERVALS) as [keyof typeof INTERVALS, ...(keyof typeof INTERVALS)[]])
    .default("1m")
    .openapi({ param: { name: "interval", in: "query" }, example: "5m" }),
});

export const ticksQuery = z.object({
  from: timeParam("from", "Earliest event time included (default: 1 hour before `to`)"),
  to: timeParam("to", "Event times before this (default: now)"),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_TICKS_LIMIT)
    .default(DEFAULT_TICKS_LIMIT)
    .openapi({ param: { name: "limit", in: "query" }, example: 100 }),
  cursor: z
    .string()
    .max(4096)
    .regex(/^[A-Za-z0-9_-]+$/, "is not a cursor this API returned")
    .optional()
    .openapi({
      param: { name: "cursor", in: "query" },
      description: "`next` of the previous page",
    }),
});

/** Microseconds of a validated time parameter, or `fallback` when it was omitted. */
export function micros(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const parsed = parseTimestamp(text);
  if (!parsed.ok) throw new Error(`unvalidated time ${text}`);
  return parsed.micros;
}
