/**
 * The alert-rule request: the HTTP contract between analytics, which evaluates rules, and the api,
 * which proxies `POST /v1/alerts/rules` to it. One schema both validate with, so they cannot drift.
 *
 * @example
 *   const rule = RuleRequest.parse({ symbol: "AAPL", condition: { kind: "price_cross", level: "190" } });
 */
import { z } from "@hono/zod-openapi";

const DECIMAL = /^\d{1,12}(\.\d{1,6})?$/;
const decimalText = (what: string) =>
  z
    .string()
    .regex(DECIMAL, `must be a non-negative decimal string with at most 6 decimals (${what})`)
    .openapi({ example: "101.5" });

/** The conditions a rule may watch (evaluated on every update of the symbol's latest 1-minute bar). */
export const Condition = z
  .discriminatedUnion("kind", [
    z.object({
      kind: z.literal("price_cross"),
      level: decimalText("the price level"),
      /** `up`: fires when the close reaches the level from below; `down`: from above. */
      direction: z.enum(["up", "down"]).default("up"),
      /** Re-armed only once the close is this far back on the other side (default 0.1 % of the level). */
      hysteresis: decimalText("a price distance").optional(),
    }),
    z.object({
      kind: z.literal("percent_move"),
      /** Fires when |close / close `windowMinutes` earlier − 1| × 100 ≥ percent. */
      percent: decimalText("percent"),
      windowMinutes: z.number().int().min(1).max(1440),
      direction: z.enum(["up", "down", "either"]).default("either"),
      /** Re-armed once the move is below percent − hysteresis (default half the percent). */
      hysteresis: decimalText("percent").optional(),
    }),
    z.object({
      kind: z.literal("rsi"),
      /** The RSI length: must be one of ANALYTICS_INDICATORS' rsi<N>. */
      length: z.number().int().min(2).max(500),
      above: decimalText("RSI level").optional(),
      below: decimalText("RSI level").optional(),
      /** Re-armed once the RSI is back this far (default 5). */
      hysteresis: decimalText("RSI points").optional(),
    }),
    z.object({
      kind: z.literal("volume"),
      /**
       * Fires when the minute's volume ≥ k × its baseline: with `sessions`, the time-of-day baseline
       * (the same minute's mean volume over the previous N sessions, i.e. `rvol<N>` ≥ k, which must
       * be computed); otherwise the mean volume of the session's previous `baselineBars` minutes.
       */
      k: decimalText("a multiple"),
      sessions: z.number().int().min(1).max(60).optional(),
      baselineBars: z.number().int().min(1).max(1440).default(20),
    }),
  ])
  .superRefine((condition, ctx) => {
    if (
      condition.kind === "rsi" &&
      (condition.above === undefined) === (condition.below === undefined)
    )
      ctx.addIssue({
        code: "custom",
        path: ["above"],
        message: "give exactly one of above and below",
      });
  })
  .openapi("AlertCondition");

export type Condition = z.infer<typeof Condition>;

export const RuleRequest = z
  .object({
    symbol: z
      .string()
      .regex(/^[A-Z0-9.-]{1,12}$/, "must be an upper-case ticker like AAPL or BRK.B")
      .openapi({ example: "AAPL" }),
    condition: Condition,
    webhook: z
      .object({
        url: z
          .url({ protocol: /^https?$/, message: "must be an http(s) URL" })
          .max(2048, "must be at most 2048 characters"),
        /** HMAC-SHA256 key of the `X-Marketpipe-Signature` header; never returned. */
        secret: z
          .string()
          .min(16, "must be at least 16 characters")
          .max(256, "must be at most 256 characters"),
      })
      .strict()
      .optional(),
  })
  .strict()
  .openapi("AlertRuleRequest");

export type RuleRequest = z.infer<typeof RuleRequest>;
