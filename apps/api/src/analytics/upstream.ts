import type { Logger } from "@repo/platform/log";
import { createUpstream } from "../ops/upstream.ts";

/**
 * The JSON client of analytics' HTTP API (the ops upstream rules: down, slow, oversized or
 * non-JSON is a 503 `analytics_unavailable`). Analytics answers a deleted rule with an empty 204;
 * that reaches the caller as a 200 `{}` (the upstream client reads every answer as JSON).
 *
 * @example
 *   const analytics = createAnalyticsUpstream({ baseUrl: "http://127.0.0.1:3005", timeoutMs: 5000, log });
 *   await analytics.request("GET", "/v1/alerts/rules");
 */
export function createAnalyticsUpstream(options: {
  baseUrl: string;
  timeoutMs: number;
  log: Logger;
  token?: string;
  fetch?: typeof fetch;
}) {
  const send = options.fetch ?? fetch;
  return createUpstream({
    name: "analytics",
    ...options,
    fetch: (async (input: string | URL | Request, init?: RequestInit) => {
      const response = await send(input, init);
      if (response.status !== 204) return response;
      return new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
    }) as typeof fetch,
  });
}
