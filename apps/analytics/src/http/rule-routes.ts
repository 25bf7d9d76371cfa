import { randomUUID } from "node:crypto";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { formatTimestamp } from "@repo/contracts";
import {
  type AlertRuleJson,
  AlertRuleSchema,
  AlertRulesResponse,
} from "@repo/contracts/analytics-responses";
import { ErrorResponse } from "@repo/contracts/http-errors";
import { ApiError, invalidParameter } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import { type Rule, RuleRequest } from "../alerts/rules.ts";
import type { AnalyticsStore } from "../cassandra/store.ts";
import { errors, operatorErrors, type RouteKit } from "./route-kit.ts";

const routes = {
  createRule: createRoute({
    method: "post",
    path: "/v1/alerts/rules",
    summary: "Create an alert rule (operator token)",
    description:
      "Conditions: price_cross {level, direction, hysteresis}, percent_move {percent, windowMinutes, direction, hysteresis}, " +
      "rsi {length, above|below, hysteresis}, volume {k, sessions (time-of-day baseline: rvol<sessions>) | baselineBars}. Evaluated on every update of the symbol's latest " +
      "1-minute bar; latched after firing until the condition clears by the hysteresis. A webhook gets each firing " +
      'signed: `X-Marketpipe-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, ' +
      "`X-Marketpipe-Delivery: <alert id>`.",
    request: { body: { content: { "application/json": { schema: RuleRequest } }, required: true } },
    responses: {
      201: {
        description: "The rule",
        content: { "application/json": { schema: AlertRuleSchema } },
      },
      ...errors,
      ...operatorErrors,
    },
  }),
  listRules: createRoute({
    method: "get",
    path: "/v1/alerts/rules",
    summary: "Alert rules (webhook URLs only with an operator token; secrets never)",
    responses: {
      200: {
        description: "Rules",
        content: { "application/json": { schema: AlertRulesResponse } },
      },
      ...errors,
    },
  }),
  deleteRule: createRoute({
    method: "delete",
    path: "/v1/alerts/rules/{id}",
    summary: "Delete an alert rule (operator token)",
    request: {
      params: z.object({
        id: z
          .string()
          .max(64)
          .openapi({ param: { name: "id", in: "path" } }),
      }),
    },
    responses: {
      204: { description: "Deleted" },
      404: {
        description: "No such rule (`unknown_rule`)",
        content: { "application/json": { schema: ErrorResponse } },
      },
      ...errors,
      ...operatorErrors,
    },
  }),
};

export interface RuleRouteDeps {
  log: Logger;
  store: Pick<AnalyticsStore, "putRule" | "deleteRule">;
  /** Names of the indicators this service computes (ANALYTICS_INDICATORS). */
  indicatorNames: readonly string[];
  rules: { list(): Rule[]; put(rule: Rule): void; remove(id: string): boolean };
}

const ruleJson = (rule: Rule, withUrl: boolean): AlertRuleJson => ({
  id: rule.id,
  symbol: rule.symbol,
  condition: rule.condition as Record<string, unknown>,
  webhook: rule.webhook
    ? { url: withUrl ? rule.webhook.url : "<hidden: operator token needed>" }
    : null,
  createdAt: formatTimestamp(rule.createdAt),
});

/** A 400 when `condition` reads an indicator this service does not compute. */
function checkComputed(condition: Rule["condition"], computed: readonly string[]) {
  const needs =
    condition.kind === "rsi"
      ? { path: "condition.length", name: `rsi${condition.length}` }
      : condition.kind === "volume" && condition.sessions !== undefined
        ? { path: "condition.sessions", name: `rvol${condition.sessions}` }
        : undefined;
  if (needs && !computed.includes(needs.name))
    throw invalidParameter(
      needs.path,
      `${needs.name} is not computed here (ANALYTICS_INDICATORS lists ${computed.join(", ")})`,
      "body",
    );
}

/**
 * `POST`/`GET /v1/alerts/rules` and `DELETE /v1/alerts/rules/{id}`: writes need an operator token;
 * listing shows webhook URLs only to operators and secrets never.
 *
 * @example
 *   mountRuleRoutes(api, kit, { log, store, indicatorNames, rules });
 */
export function mountRuleRoutes(api: OpenAPIHono, kit: RouteKit, deps: RuleRouteDeps) {
  api.openapi(routes.createRule, async (c) => {
    const createdBy = kit.requireOperator(c);
    const body = c.req.valid("json");
    checkComputed(body.condition, deps.indicatorNames);
    const rule: Rule = {
      id: randomUUID(),
      symbol: body.symbol,
      condition: body.condition,
      webhook: body.webhook ?? null,
      createdAt: kit.now(),
    };
    await kit.read("putRule", () =>
      deps.store.putRule({
        id: rule.id,
        symbol: rule.symbol,
        condition: rule.condition,
        webhookUrl: rule.webhook?.url ?? null,
        webhookSecret: rule.webhook?.secret ?? null,
        createdBy,
        createdAt: rule.createdAt,
      }),
    );
    deps.rules.put(rule);
    deps.log.info(
      { rule: rule.id, symbol: rule.symbol, kind: rule.condition.kind, createdBy },
      "alert rule created",
    );
    return c.json(ruleJson(rule, true), 201);
  });

  api.openapi(routes.listRules, (c) => {
    const withUrl = kit.operator(c) !== undefined;
    return c.json({ rules: deps.rules.list().map((rule) => ruleJson(rule, withUrl)) }, 200);
  });

  api.openapi(routes.deleteRule, async (c) => {
    kit.requireOperator(c);
    const { id } = c.req.valid("param");
    if (!deps.rules.list().some((rule) => rule.id === id))
      throw new ApiError(404, "unknown_rule", `no alert rule ${JSON.stringify(id.slice(0, 64))}`);
    await kit.read("deleteRule", () => deps.store.deleteRule(id));
    deps.rules.remove(id);
    return c.body(null, 204);
  });
}
