import { describe, expect, test } from "bun:test";
import { createLogger } from "@repo/platform/log";
import { createStats } from "@repo/platform/stats";
import { parseBearerTokens } from "@repo/platform/tokens";
import { createAlertHub } from "./alerts/hub.ts";
import type { Rule } from "./alerts/rules.ts";
import { createAnalyticsApp } from "./app.ts";
import type { ServedValue, StoredRule } from "./cassandra/store.ts";

const TOKEN = "operator-token-0123456789";

function app(tokens = `ops:${TOKEN}`) {
  const rules = new Map<string, Rule>();
  const put: StoredRule[] = [];
  const asked: unknown[] = [];
  const instance = createAnalyticsApp({
    log: createLogger("analytics-test", "fatal"),
    readiness: () => ({ ready: true, checks: {} }),
    view: {
      stats: createStats(),
      lag: () => [],
      sessions: () => 0,
      rules: () => rules.size,
      streamClients: () => 0,
      webhooksWaiting: () => 0,
    },
    routes: {
      store: {
        async indicators(symbol, interval, names, from, to) {
          asked.push({ symbol, interval, names, from, to });
          const bb: ServedValue = {
            start: 1_767_600_000_000_000,
            value: "100",
            lower: "99",
            upper: "101",
            provisional: true,
          };
          const sma: ServedValue = {
            start: 1_767_600_000_000_000,
            value: "100.5",
            lower: null,
            upper: null,
            provisional: false,
          };
          return Object.fromEntries(names.map((n) => [n, [n.startsWith("bb") ? bb : sma]]));
        },
        async putRule(rule) {
          put.push(rule);
        },
        async deleteRule() {},
        async firings() {
          return [];
        },
      },
      indicatorNames: ["sma20", "rsi14", "bb20"],
      operatorTokens: parseBearerTokens(tokens).tokens,
      rules: {
        list: () => [...rules.values()],
        put: (rule) => rules.set(rule.id, rule),
        remove: (id) => rules.delete(id),
      },
      hub: createAlertHub({ maxQueue: 10, maxClients: 1 }),
    },
  });
  return { instance, put, asked, rules };
}

const json = (body: unknown, token?: string) => ({
  method: "POST",
  headers: {
    "content-type": "application/json",
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  },
  body: JSON.stringify(body),
});

describe("analytics http", () => {
  test("indicators answer the issue's shape: series by name, bands as {lower, middle, upper}", async () => {
    const { instance, asked } = app();
    const response = await instance.request(
      "/v1/indicators/aapl?interval=5m&names=sma20,bb20&from=2026-01-05T00:00:00Z&to=2026-01-06T00:00:00Z",
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      symbol: "AAPL",
      interval: "5m",
      series: {
        sma20: [{ time: "2026-01-05T08:00:00.000000Z", value: "100.5", provisional: false }],
        bb20: [
          {
            time: "2026-01-05T08:00:00.000000Z",
            value: { lower: "99", middle: "100", upper: "101" },
            provisional: true,
          },
        ],
      },
    });
    expect(asked).toEqual([
      {
        symbol: "AAPL",
        interval: "5m",
        names: ["sma20", "bb20"],
        from: 1_767_571_200_000_000,
        to: 1_767_657_600_000_000,
      },
    ]);
    // 1d spans more than a week (up to 400 days).
    const daily = await instance.request(
      "/v1/indicators/AAPL?interval=1d&from=2025-12-01T00:00:00Z&to=2026-01-06T00:00:00Z",
    );
    expect(daily.status).toBe(200);
    expect(asked[1]).toMatchObject({ interval: "1d", names: ["sma20", "rsi14", "bb20"] });
  });

  test("bad parameters are 400s naming the parameter and the reason", async () => {
    const { instance } = app();
    const cases: [string, string][] = [
      ["/v1/indicators/AAPL?interval=2m", "interval"],
      ["/v1/indicators/AAPL?names=sma7", "names"],
      ["/v1/indicators/AAPL?names=macd", "names"],
      ["/v1/indicators/AAPL?from=yesterday", "from"],
      ["/v1/indicators/AAPL?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z", "to"],
      ["/v1/indicators/AAPL?interval=1d&from=2025-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "to"],
      ["/v1/alerts?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from"],
    ];
    for (const [path, field] of cases) {
      const response = await instance.request(path);
      expect(response.status, path).toBe(400);
      const body = (await response.json()) as { error: { issues: { path: string }[] } };
      expect(
        body.error.issues.map((i) => i.path),
        path,
      ).toContain(field);
    }
  });

  test("rules need the operator token; bodies are validated field by field; secrets are never shown", async () => {
    const { instance, put } = app();
    const rule = {
      symbol: "AAPL",
      condition: { kind: "price_cross", level: "190.5" },
      webhook: { url: "http://127.0.0.1:9/x", secret: "s3cr3t-s3cr3t-s3cr3t" },
    };
    expect((await instance.request("/v1/alerts/rules", json(rule))).status).toBe(401);
    expect(
      (await instance.request("/v1/alerts/rules", json(rule, "wrong-token-0123456789"))).status,
    ).toBe(401);
    const bad = await instance.request(
      "/v1/alerts/rules",
      json({ ...rule, condition: { kind: "price_cross", level: "-1" } }, TOKEN),
    );
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues.map(
        (i) => i.path,
      ),
    ).toEqual(["condition.level"]);
    const extra = await instance.request("/v1/alerts/rules", json({ ...rule, owner: "me" }, TOKEN));
    expect(extra.status).toBe(400);
    const created = await instance.request("/v1/alerts/rules", json(rule, TOKEN));
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string };
    expect(put.map((r) => [r.id, r.createdBy, r.webhookSecret])).toEqual([
      [body.id, "ops", "s3cr3t-s3cr3t-s3cr3t"],
    ]);
    const listed = await (await instance.request("/v1/alerts/rules")).text();
    expect(listed).not.toContain("s3cr3t");
    expect(listed).not.toContain("127.0.0.1:9");
    expect(
      await (
        await instance.request("/v1/alerts/rules", {
          headers: { authorization: `Bearer ${TOKEN}` },
        })
      ).text(),
    ).toContain("127.0.0.1:9");
    expect(
      (await instance.request(`/v1/alerts/rules/${body.id}`, { method: "DELETE" })).status,
    ).toBe(401);
    expect(
      (
        await instance.request(`/v1/alerts/rules/${body.id}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${TOKEN}` },
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await instance.request(`/v1/alerts/rules/${body.id}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${TOKEN}` },
        })
      ).status,
    ).toBe(404);
  });

  test("a body over the limit is a 413 before it is parsed", async () => {
    const { instance } = app();
    const response = await instance.request(
      "/v1/alerts/rules",
      json({ symbol: "A", pad: "x".repeat(20_000) }, TOKEN),
    );
    expect(response.status).toBe(413);
  });

  test("/openapi.json documents every analytics route", async () => {
    const { instance } = app();
    const doc = (await (await instance.request("/openapi.json")).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/v1/alerts",
      "/v1/alerts/rules",
      "/v1/alerts/rules/{id}",
      "/v1/alerts/stream",
      "/v1/indicators/{symbol}",
    ]);
  });
});
