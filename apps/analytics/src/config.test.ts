import { expect, test } from "bun:test";
import { loadAnalyticsConfig } from "./config.ts";

test("defaults: port 3005, the default indicators parsed, no operator tokens", () => {
  const config = loadAnalyticsConfig({});
  expect(config.PORT).toBe(3005);
  expect(config.indicators.map((s) => s.name)).toEqual([
    "sma20",
    "sma50",
    "ema12",
    "ema26",
    "rsi14",
    "bb20",
    "rv20",
    "rvol20",
    "vwapdev",
  ]);
  expect(config.operatorTokens).toEqual([]);
});

test("bad settings stop start-up naming the variable, never repeating a token", () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadAnalyticsConfig(env);
      return "";
    } catch (error) {
      return (error as Error).message;
    }
  };
  expect(problems({ ANALYTICS_INDICATORS: "sma20,macd" })).toContain("ANALYTICS_INDICATORS");
  expect(problems({ ANALYTICS_INDICATORS: "sma20,sma20" })).toContain("listed twice");
  expect(problems({ HOST: "0.0.0.0" })).toContain("API_OPERATOR_TOKENS (unset): required");
  const short = problems({ API_OPERATOR_TOKENS: "ops:tooshort" });
  expect(short).toContain("API_OPERATOR_TOKENS");
  expect(short).not.toContain("tooshort");
  expect(problems({ ANALYTICS_MAX_SESSIONS: "10", ANALYTICS_MAX_BATCH: "100" })).toContain(
    "ANALYTICS_MAX_SESSIONS",
  );
  expect(problems({ HOST: "0.0.0.0", API_OPERATOR_TOKENS: "ops:0123456789abcdef0123" })).toBe("");
});
