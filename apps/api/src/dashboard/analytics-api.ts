// The api's analytics routes as the dashboard calls them (shapes from ../http/analytics-responses.ts).
import type {
  AlertRuleJson,
  AlertRulesJson,
  AnalyticsAlertsJson,
  AnalyticsStatusJson,
  IndicatorsJson,
} from "../http/analytics-responses.ts";

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

/** A JSON call with the operator token of the console's field (or the tab's session) when set. */
async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (init.method && init.method !== "GET") headers["content-type"] = "application/json";
  const token =
    (document.getElementById("operator-token") as HTMLInputElement | null)?.value ||
    sessionStorage.getItem("operatorToken");
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { ...init, headers });
  if (response.status === 204) return undefined as T;
  const answer = (await response.json()) as T & { error?: { code: string; message: string } };
  if (!response.ok)
    throw new Error(
      answer.error ? `${answer.error.code}: ${answer.error.message}` : `${response.status}`,
    );
  return answer;
}

export const analyticsStatus = () => call<AnalyticsStatusJson>("/v1/analytics/status");

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
  return call<IndicatorsJson>(`/v1/indicators/${encodeURIComponent(symbol)}?${query}`);
}

export const recentAlerts = (from: Date) =>
  call<AnalyticsAlertsJson>(`/v1/alerts?from=${encodeURIComponent(from.toISOString())}`);

export const rules = () => call<AlertRulesJson>("/v1/alerts/rules");

export const createRule = (rule: Record<string, unknown>) =>
  call<AlertRuleJson>("/v1/alerts/rules", { method: "POST", body: JSON.stringify(rule) });

export const deleteRule = (id: string) =>
  call<void>(`/v1/alerts/rules/${encodeURIComponent(id)}`, { method: "DELETE" });
