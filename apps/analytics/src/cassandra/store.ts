import cassandra from "cassandra-driver";
import { createAlertTables } from "./alert-tables.ts";
import type { TableOptions } from "./driver.ts";
import { createIndicatorTables } from "./indicator-tables.ts";
import { createSessionBarReads } from "./session-bars.ts";

export type { Firing, StoredRule } from "./alert-tables.ts";
export type { ServedValue } from "./indicator-tables.ts";

/**
 * The analytics tables (cql/004_analytics.cql) and the one read of the consumer's: the stored
 * 1-minute bars of a session. One module per table family: `session-bars.ts` (`bars_1m`),
 * `indicator-tables.ts` (`indicators_1m`, `indicators_rollup`), `alert-tables.ts` (`alert_rules`,
 * `alerts`); the outbox is `outbox.ts`. Every write is idempotent (keys derived from what the row is
 * computed from); driver errors are left unclassified, so retry loops treat them as transient.
 *
 * @example
 *   const store = createAnalyticsStore({ client, consistency, maxConcurrency: 32 });
 *   await store.writeIndicators(rows);
 */
export function createAnalyticsStore(options: TableOptions) {
  return {
    ...createSessionBarReads(options),
    ...createIndicatorTables(options),
    ...createAlertTables(options),

    async ping(): Promise<boolean> {
      await options.client.execute("SELECT release_version FROM system.local", [], {
        consistency: cassandra.types.consistencies.localOne,
      });
      return true;
    },
  };
}

export type AnalyticsStore = ReturnType<typeof createAnalyticsStore>;
