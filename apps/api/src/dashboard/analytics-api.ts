// The api's analytics routes as the dashboard calls them (shapes from ../http/analytics-responses.ts).
import type {
  AlertRuleJson,
  AlertRulesJson,
  AnalyticsAlertsJson,
  AnalyticsStatusJson,
  IndicatorsJson,
} from "../http/analytics-responses.ts";
import { callApi } from "./operator-call.ts";

export type {
  AlertRuleJson,
  AnalyticsAlertJson,
  IndicatorPointJson,
  IndicatorsJson,
} from "../http/analytics-responses.ts";

/** Intervals analytics computes indicators for. */
export const INDICATOR_INTERVALS: readonly string[] = ["1m", "5m", "15m", "1h", "1d"];
/** The longest span one `/v1/indicators` request may cover: 7 days, 400 at 1d. */
export const maxSpanMs = (interval: string) => (interval === "1d" ? 400 : 7) * 86_400_000;

export const analyticsStatus = () => callApi<AnalyticsStatusJson>("/v1/analytics/status");

export function indicators(
  symbol: string,
  interval: string,
  names: string[],
  from: Date,
  to: Date,
) {
  const query = new URLSearchParams({
    interval,
    names: names.join(","),
    from: from.toISOString(),
    to: to.toISOString(),
  });
  return callApi<IndicatorsJson>(`/v1/indicators/${encodeURIComponent(symbol)}?${query}`);
}

export const recentAlerts = (from: Date) =>
  callApi<AnalyticsAlertsJson>(`/v1/alerts?from=${encodeURIComponent(from.toISOString())}`);

export const rules = () => callApi<AlertRulesJson>("/v1/alerts/rules");

export const createRule = (rule: Record<string, unknown>) =>
  callApi<AlertRuleJson>("/v1/alerts/rules", { method: "POST", body: JSON.stringify(rule) });

export const deleteRule = (id: string) =>
  callApi<void>(`/v1/alerts/rules/${encodeURIComponent(id)}`, { method: "DELETE" });
