import type { Logger } from "@repo/platform/log";
import type { AnalyticsStore } from "../cassandra/store.ts";
import { Condition, type Rule } from "./rules.ts";

/**
 * The alert rules held in memory: updated at once by this member's POST/DELETE and re-read from
 * Cassandra by `refresh` (rules created or deleted through another member).
 *
 * @example
 *   const rules = createRuleRegistry(store, log);
 *   await rules.refresh();
 *   rules.of("AAPL");
 */
export function createRuleRegistry(
  store: Pick<AnalyticsStore, "rules">,
  log: Logger,
  onRemoved: (id: string) => void = () => {},
) {
  let rules = new Map<string, Rule>();
  let bySymbol = new Map<string, Rule[]>();
  const index = () => {
    bySymbol = new Map();
    for (const rule of rules.values())
      bySymbol.set(rule.symbol, [...(bySymbol.get(rule.symbol) ?? []), rule]);
  };
  return {
    async refresh() {
      const began = Date.now() * 1000;
      const stored = await store.rules();
      const next = new Map<string, Rule>();
      for (const row of stored) {
        const condition = Condition.safeParse(row.condition);
        if (!condition.success) {
          log.warn({ rule: row.id }, "stored alert rule has an unreadable condition; ignored");
          continue;
        }
        next.set(row.id, {
          id: row.id,
          symbol: row.symbol,
          condition: condition.data,
          webhook:
            row.webhookUrl && row.webhookSecret
              ? { url: row.webhookUrl, secret: row.webhookSecret }
              : null,
          createdAt: row.createdAt,
        });
      }
      // Rules put here while the read was under way may be missing from it.
      for (const rule of rules.values())
        if (rule.createdAt >= began - 5_000_000 && !next.has(rule.id)) next.set(rule.id, rule);
      for (const id of rules.keys()) if (!next.has(id)) onRemoved(id);
      rules = next;
      index();
    },
    of: (symbol: string): readonly Rule[] => bySymbol.get(symbol) ?? [],
    list: () => [...rules.values()].sort((a, b) => a.createdAt - b.createdAt),
    put(rule: Rule) {
      rules.set(rule.id, rule);
      index();
    },
    remove(id: string) {
      const had = rules.delete(id);
      if (had) {
        onRemoved(id);
        index();
      }
      return had;
    },
    get size() {
      return rules.size;
    },
  };
}
