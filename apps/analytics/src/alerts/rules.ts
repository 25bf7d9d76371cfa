import type { Condition } from "@repo/contracts/alert-rules";

export { Condition, RuleRequest } from "@repo/contracts/alert-rules";

/** A rule as the evaluator holds it. */
export interface Rule {
  id: string;
  symbol: string;
  condition: Condition;
  webhook: { url: string; secret: string } | null;
  /** µs: bars that ended before it never fire the rule. */
  createdAt: number;
}
