import { ALERT_RULES, ALERTS, insertInto, partitionDay } from "@repo/cassandra";
import cassandra from "cassandra-driver";
import { DAY_US } from "../series/rollup.ts";
import {
  canonical,
  microsOf,
  readAll,
  statementOptions,
  type TableOptions,
  timestampOf,
} from "./driver.ts";

const { BigDecimal } = cassandra.types;

/** An alert rule as stored (the condition is the validated JSON). */
export interface StoredRule {
  id: string;
  symbol: string;
  condition: unknown;
  webhookUrl: string | null;
  webhookSecret: string | null;
  createdBy: string | null;
  createdAt: number;
}

/** One alert firing. Times in µs; decimals as strings. */
export interface Firing {
  dedupKey: string;
  ruleId: string;
  symbol: string;
  kind: string;
  event: string;
  barStart: number;
  price: string;
  value: string | null;
  message: string;
  firedAt: number;
}

const RULE_COLUMNS = [
  "id",
  "symbol",
  "condition",
  "webhook_url",
  "webhook_secret",
  "created_by",
  "created_at",
] as const;
const SELECT_RULES = `SELECT ${RULE_COLUMNS.join(", ")} FROM ${ALERT_RULES.name}`;
const INSERT_RULE = insertInto(ALERT_RULES, RULE_COLUMNS);
const DELETE_RULE = `DELETE FROM ${ALERT_RULES.name} WHERE id = ?`;
const INSERT_ALERT = `${insertInto(ALERTS, [
  "day",
  "bar_start",
  "dedup_key",
  "rule_id",
  "symbol",
  "kind",
  "event",
  "price",
  "value",
  "message",
  "fired_at",
])} IF NOT EXISTS`;
const SELECT_ALERTS = `SELECT bar_start, dedup_key, rule_id, symbol, kind, event, CAST(price AS text) AS price,
  CAST(value AS text) AS value, message, fired_at FROM ${ALERTS.name} WHERE day = ? AND bar_start >= ? AND bar_start < ?`;

/**
 * The alert tables (`alert_rules`, `alerts`; cql/004_analytics.cql). A firing is recorded with a
 * lightweight transaction, so its dedup key is delivered once however often it is evaluated.
 *
 * @example
 *   const alerts = createAlertTables({ client, consistency, maxConcurrency: 32 });
 *   if (await alerts.recordFiring(firing)) hub.publish(firing);
 */
export function createAlertTables(options: TableOptions) {
  const { client } = options;
  const { write, read } = statementOptions(options);

  return {
    async rules(): Promise<StoredRule[]> {
      const rows = await readAll(client, read, SELECT_RULES, []);
      return rows.map((row) => ({
        id: row.get("id"),
        symbol: row.get("symbol"),
        condition: JSON.parse(row.get("condition") as string),
        webhookUrl: row.get("webhook_url") ?? null,
        webhookSecret: row.get("webhook_secret") ?? null,
        createdBy: row.get("created_by") ?? null,
        createdAt: microsOf(row.get("created_at")),
      }));
    },

    async putRule(rule: StoredRule): Promise<void> {
      await client.execute(
        INSERT_RULE,
        [
          rule.id,
          rule.symbol,
          JSON.stringify(rule.condition),
          rule.webhookUrl,
          rule.webhookSecret,
          rule.createdBy,
          timestampOf(rule.createdAt),
        ],
        write,
      );
    },

    async deleteRule(id: string): Promise<void> {
      await client.execute(DELETE_RULE, [id], write);
    },

    /** Records a firing unless its dedup key is already stored: true when this call recorded it. */
    async recordFiring(firing: Firing): Promise<boolean> {
      const result = await client.execute(
        INSERT_ALERT,
        [
          partitionDay(firing.barStart),
          timestampOf(firing.barStart),
          firing.dedupKey,
          firing.ruleId,
          firing.symbol,
          firing.kind,
          firing.event,
          BigDecimal.fromString(firing.price),
          firing.value === null ? null : BigDecimal.fromString(firing.value),
          firing.message,
          timestampOf(firing.firedAt),
        ],
        { ...write, serialConsistency: cassandra.types.consistencies.localSerial },
      );
      return result.wasApplied();
    },

    /** Firings whose bar started in [from, to) µs, oldest first. */
    async firings(from: number, to: number): Promise<Firing[]> {
      const firings: Firing[] = [];
      for (let day = Math.floor(from / DAY_US) * DAY_US; day < to; day += DAY_US) {
        const rows = await readAll(client, read, SELECT_ALERTS, [
          partitionDay(day),
          timestampOf(from),
          timestampOf(to),
        ]);
        for (const row of rows)
          firings.push({
            dedupKey: row.get("dedup_key"),
            ruleId: row.get("rule_id"),
            symbol: row.get("symbol"),
            kind: row.get("kind"),
            event: row.get("event"),
            barStart: microsOf(row.get("bar_start")),
            price: canonical(row.get("price")) as string,
            value: canonical(row.get("value")),
            message: row.get("message"),
            firedAt: microsOf(row.get("fired_at")),
          });
      }
      return firings;
    },
  };
}
