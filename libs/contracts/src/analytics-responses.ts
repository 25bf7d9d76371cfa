/**
 * The JSON of the analytics routes (`/v1/indicators/*`, `/v1/alerts`, `/v1/alerts/rules*`) as zod
 * schemas with OpenAPI metadata: analytics answers with these shapes and documents them, and the
 * api passes the answers on and documents the same schemas, so the two `/openapi.json` cannot drift.
 * Nothing here imports server code, so a browser program can `import type` from it.
 *
 * @example
 *   import { IndicatorsResponse, type IndicatorsJson } from "@repo/contracts/analytics-responses";
 *   const route = createRoute({ ..., responses: { 200: { content: { "application/json": { schema: IndicatorsResponse } } } } });
 */
import { z } from "@hono/zod-openapi";

const decimal = z.string().openapi({ example: "187.25", description: "Exact decimal" });

export const BandSchema = z
  .object({ lower: decimal, middle: decimal, upper: decimal })
  .openapi("BollingerBand");

export const IndicatorPointSchema = z
  .object({
    time: z.string().openapi({ description: "Start of the bar, ISO 8601 UTC" }),
    value: z.union([decimal, BandSchema]),
    provisional: z.boolean().openapi({
      description: "The bar is still open (or within its late allowance): the value may change",
    }),
  })
  .openapi("IndicatorPoint");

export const IndicatorsResponse = z
  .object({
    symbol: z.string(),
    interval: z.string(),
    series: z.record(z.string(), z.array(IndicatorPointSchema)),
  })
  .openapi("Indicators");

export const AlertRuleSchema = z
  .object({
    id: z.string(),
    symbol: z.string(),
    condition: z.record(z.string(), z.unknown()),
    webhook: z.object({ url: z.string() }).nullable(),
    createdAt: z.string(),
  })
  .openapi("AlertRule");

export const AlertRulesResponse = z
  .object({ rules: z.array(AlertRuleSchema) })
  .openapi("AlertRules");

export const AnalyticsAlertSchema = z
  .object({
    id: z.string().openapi({ description: "The dedup key: rule|bar start µs|event" }),
    ruleId: z.string(),
    symbol: z.string(),
    kind: z.string(),
    event: z.string(),
    barStart: z.string(),
    price: decimal,
    value: decimal.nullable(),
    message: z.string(),
    firedAt: z.string(),
  })
  .openapi("AnalyticsAlert");

export const AnalyticsAlertsResponse = z
  .object({ alerts: z.array(AnalyticsAlertSchema) })
  .openapi("AnalyticsAlerts");

export type IndicatorPointJson = z.infer<typeof IndicatorPointSchema>;
export type IndicatorsJson = z.infer<typeof IndicatorsResponse>;
export type AlertRuleJson = z.infer<typeof AlertRuleSchema>;
export type AlertRulesJson = z.infer<typeof AlertRulesResponse>;
export type AnalyticsAlertJson = z.infer<typeof AnalyticsAlertSchema>;
export type AnalyticsAlertsJson = z.infer<typeof AnalyticsAlertsResponse>;
