/**
 * The analytics routes of the api against the real pipeline: ticks posted through the producer,
 * the consumer's bars on Kafka, analytics computing indicators and alerts, the api proxying them
 * (operator tokens on: the api checks the caller's, then presents its own to analytics).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually } from "@repo/testkit";
import type {
  AlertRuleJson,
  AlertRulesJson,
  AnalyticsAlertJson,
  AnalyticsAlertsJson,
  IndicatorsJson,
} from "../src/http/analytics-responses.ts";
import type { BarsJson } from "../src/http/responses.ts";
import {
  type AnalyticsPipeline,
  analyticsSawMinute,
  HISTORY_END_MS,
  OPERATOR_TOKEN,
  sessionTicks,
  startAnalyticsPipeline,
  tradeNow,
} from "./analytics-support.ts";
import { openStream } from "./support.ts";

let run: AnalyticsPipeline;
const SYMBOL = "AAPL";
const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };

beforeAll(async () => {
  run = await startAnalyticsPipeline("anaapi", { tokens: true });
  const ticks = sessionTicks(SYMBOL, 30, 29);
  await run.post(ticks);
  await run.stored(ticks.length);
}, 240_000);

afterAll(async () => {
  await run?.close();
}, 60_000);

const wait = <T>(check: () => Promise<T | undefined>, message: string, timeoutMs = 60_000) =>
  eventually(check, { timeoutMs, intervalMs: 250, message, diagnose: run.pipeline.diagnose });

async function call<T = Record<string, unknown>>(
  method: string,
  url: string,
  options: { body?: unknown; headers?: Record<string, string>; raw?: string } = {},
) {
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...options.headers },
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  return { status: response.status, text, body: (text ? JSON.parse(text) : {}) as T };
}

const indicatorsPath = `/v1/indicators/${SYMBOL}?interval=1m&names=sma20,ema12,rsi14,bb20&from=${new Date(HISTORY_END_MS - 3_600_000).toISOString()}&to=${new Date(HISTORY_END_MS).toISOString()}`;

describe("analytics through the api on the real stack", () => {
  test("/v1/indicators answers analytics' exact series; a bad query is a 400 naming the field", async () => {
    const through = await wait(async () => {
      const answer = await call<IndicatorsJson>("GET", `${run.api.url}${indicatorsPath}`);
      return answer.status === 200 && (answer.body.series.sma20?.length ?? 0) >= 5
        ? answer
        : undefined;
    }, "no sma20 values through the api");
    const direct = await call<IndicatorsJson>("GET", `${run.analyticsUrl}${indicatorsPath}`);
    expect(through.body).toEqual(direct.body);
    expect(through.body.series.bb20?.[0]?.value).toMatchObject({
      lower: expect.stringMatching(/^\d+(\.\d+)?$/),
    });

    const bad = await call("GET", `${run.api.url}/v1/indicators/${SYMBOL}?interval=2m&names=x1`);
    expect(bad.status).toBe(400);
    const paths = (bad.body.error as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["interval", "names"]));
    // 1d: computed from the day bars, the api's own 1d bars (sma1 is the day's close); the 1d
    // window (W = 26 sessions) holds one session here, so the longer indicators are not warm.
    const days = `from=${new Date(HISTORY_END_MS - 3 * 86_400_000).toISOString()}&to=${new Date(HISTORY_END_MS + 86_400_000).toISOString()}`;
    const dailyPath = `/v1/indicators/${SYMBOL}?interval=1d&names=sma1,sma20&${days}`;
    const daily = await wait(async () => {
      const answer = await call<IndicatorsJson>("GET", `${run.api.url}${dailyPath}`);
      return answer.status === 200 && (answer.body.series.sma1?.length ?? 0) >= 1
        ? answer
        : undefined;
    }, "no 1d sma1 through the api");
    expect(daily.body).toEqual(
      (await call<IndicatorsJson>("GET", `${run.analyticsUrl}${dailyPath}`)).body,
    );
    const dayBars = await call<BarsJson>(
      "GET",
      `${run.api.url}/v1/bars/${SYMBOL}?interval=1d&${days}`,
    );
    expect(daily.body.series.sma1?.map((p) => [p.time, p.value])).toEqual(
      dayBars.body.bars.map((bar) => [bar.start, bar.close]),
    );
    expect(daily.body.series.sma20).toEqual([]);
    const intraday = await call(
      "GET",
      `${run.api.url}/v1/indicators/${SYMBOL}?interval=1d&names=vwapdev`,
    );
    expect(intraday.status).toBe(400);
    expect(intraday.text).toContain("intraday only");
    // A name analytics does not compute: analytics' own 400, passed on.
    const unknown = await call("GET", `${run.api.url}/v1/indicators/${SYMBOL}?names=ema12,sma200`);
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain("sma200 is not computed here");
  });

  test("rules: create and delete need the operator token; listing hides webhook URLs from others", async () => {
    const rule = {
      symbol: SYMBOL,
      condition: { kind: "price_cross", level: "500", direction: "up" },
      webhook: { url: "http://127.0.0.1:9/hook", secret: "a-secret-of-16-chars-at-least" },
    };
    const url = `${run.api.url}/v1/alerts/rules`;
    expect((await call("POST", url, { body: rule })).status).toBe(401);
    const wrong = await call("POST", url, {
      body: rule,
      headers: { authorization: "Bearer nope" },
    });
    expect(wrong.status).toBe(401);
    expect((wrong.body.error as { code: string }).code).toBe("invalid_operator_token");

    const invalid = await call("POST", url, {
      headers: operator,
      body: { ...rule, condition: { kind: "price_cross", level: "abc" } },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.text).toContain("condition.level");
    const huge = await call("POST", url, {
      headers: operator,
      raw: JSON.stringify({ ...rule, pad: "x".repeat(20_000) }),
    });
    expect(huge.status).toBe(413);

    const created = await call<AlertRuleJson>("POST", url, { headers: operator, body: rule });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ symbol: SYMBOL, webhook: { url: rule.webhook.url } });
    expect(created.text).not.toContain(rule.webhook.secret);

    const anonymous = await call<AlertRulesJson>("GET", url);
    const listed = anonymous.body.rules.find((r) => r.id === created.body.id);
    expect(listed?.webhook?.url).toContain("hidden");
    const asOperator = await call<AlertRulesJson>("GET", url, { headers: operator });
    expect(asOperator.body.rules.find((r) => r.id === created.body.id)?.webhook?.url).toBe(
      rule.webhook.url,
    );

    const ruleUrl = `${url}/${created.body.id}`;
    expect((await call("DELETE", ruleUrl)).status).toBe(401);
    const deleted = await call("DELETE", ruleUrl, { headers: operator });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    const again = await call("DELETE", ruleUrl, { headers: operator });
    expect(again.status).toBe(404);
    expect((again.body.error as { code: string }).code).toBe("unknown_rule");
    const after = await call<AlertRulesJson>("GET", url);
    expect(after.body.rules.some((r) => r.id === created.body.id)).toBe(false);
  });

  test("a price cross fires once on /v1/alerts/stream and is stored in /v1/alerts", async () => {
    const stream = await openStream(`${run.api.url}/v1/alerts/stream`);
    try {
      await stream.next((e) => e.event === "ready", "the alert stream sent no ready");
      const created = await call<AlertRuleJson>("POST", `${run.api.url}/v1/alerts/rules`, {
        headers: operator,
        body: { symbol: SYMBOL, condition: { kind: "price_cross", level: "700", direction: "up" } },
      });
      expect(created.status).toBe(201);
      // Below the level first (the rule arms), then through it.
      const arm = tradeNow(SYMBOL, "650.000000", 1_000_001);
      await run.post([arm]);
      await wait(
        async () => ((await analyticsSawMinute(run.api.url, arm)) ? true : undefined),
        "analytics did not read the bar below the level",
      );
      await run.post([tradeNow(SYMBOL, "701.500000", 1_000_002)]);
      const event = await stream.next((e) => e.event === "alert", "no alert streamed");
      const alert = JSON.parse(event.data) as AnalyticsAlertJson;
      expect(alert).toMatchObject({
        ruleId: created.body.id,
        symbol: SYMBOL,
        event: "cross_up",
        price: "701.5",
      });
      const stored = await wait(async () => {
        const answer = await call<AnalyticsAlertsJson>("GET", `${run.api.url}/v1/alerts`);
        return answer.body.alerts.find((a) => a.id === alert.id);
      }, "the alert is not in /v1/alerts");
      expect(stored).toEqual(alert);
      expect(stream.events.filter((e) => e.event === "alert")).toHaveLength(1);
    } finally {
      stream.close();
    }
  });

  test("analytics down: 503 analytics_unavailable naming no address, the stream says down, then up", async () => {
    const stream = await openStream(`${run.api.url}/v1/alerts/stream`);
    try {
      await stream.next((e) => e.event === "ready", "the alert stream sent no ready");
      await run.analytics.stop();
      const down = await call("GET", `${run.api.url}${indicatorsPath}`);
      expect(down.status).toBe(503);
      expect(down.body).toEqual({
        error: { code: "analytics_unavailable", message: "analytics is unavailable; retry later" },
      });
      expect(down.text).not.toMatch(/127\.0\.0\.1|:\d{4,5}/);
      const rules = await call("GET", `${run.api.url}/v1/alerts/rules`);
      expect(rules.status).toBe(503);
      const status = await call("GET", `${run.api.url}/v1/analytics/status`);
      expect(status).toMatchObject({ status: 200, body: { analytics: "down" } });
      await stream.next(
        (e) => e.event === "analytics" && JSON.parse(e.data).state === "down",
        "the open stream was not told analytics is down",
      );
      const refused = await call("GET", `${run.api.url}/v1/alerts/stream`);
      expect(refused.status).toBe(503);
      expect((refused.body.error as { code: string }).code).toBe("analytics_unavailable");

      await run.startAnalytics();
      await stream.next(
        (e) => e.event === "analytics" && JSON.parse(e.data).state === "up",
        "the open stream was not told analytics is back",
      );
      expect((await call("GET", `${run.api.url}${indicatorsPath}`)).status).toBe(200);
      const back = await call("GET", `${run.api.url}/v1/analytics/status`);
      expect(back.body).toEqual({ analytics: "up" });
    } finally {
      stream.close();
    }
  });

  test("/openapi.json documents the analytics routes", async () => {
    const doc = await call<{ paths: Record<string, Record<string, unknown>> }>(
      "GET",
      `${run.api.url}/openapi.json`,
    );
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        "/v1/indicators/{symbol}",
        "/v1/alerts",
        "/v1/alerts/rules",
        "/v1/alerts/rules/{id}",
        "/v1/alerts/stream",
        "/v1/analytics/status",
      ]),
    );
    expect(Object.keys(doc.body.paths["/v1/alerts/rules"] ?? {}).sort()).toEqual(["get", "post"]);
  });
});
