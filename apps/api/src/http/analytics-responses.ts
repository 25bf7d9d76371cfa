/**
 * The JSON of the analytics routes (`/v1/indicators/*`, `/v1/alerts`, `/v1/alerts/rules*`): the
 * schemas analytics answers with and documents (`@repo/contracts/analytics-responses`), passed on
 * as they are, and the api's own `/v1/analytics/status`. Nothing here imports server code, so the
 * dashboard can `import type` from it.
 */
import { z } from "@hono/zod-openapi";

export {
  type AlertRuleJson,
  AlertRuleSchema,
  type AlertRulesJson,
  AlertRulesResponse,
  type AnalyticsAlertJson,
  AnalyticsAlertSchema,
  type AnalyticsAlertsJson,
  AnalyticsAlertsResponse,
  BandSchema,
  type IndicatorPointJson,
  IndicatorPointSchema,
  type IndicatorsJson,
  IndicatorsResponse,
} from "@repo/contracts/analytics-responses";

export const AnalyticsStatusResponse = z
  .object({
    analytics: z.enum(["up", "down"]).openapi({
      description:
        "Whether analytics answered its /healthz within API_UPSTREAM_TIMEOUT_MS just now",
    }),
  })
  .openapi("AnalyticsStatus");

export type AnalyticsStatusJson = z.infer<typeof AnalyticsStatusResponse>;
