import {
  ALERT_RULES,
  ALERTS,
  BARS_1M,
  INDICATORS_1M,
  INDICATORS_ROLLUP,
  insertInto,
  partitionDay,
} from "@repo/cassandra";
import cassandra from "cassandra-driver";
import type { IndicatorValue } from "../indicators/compute.ts";
import { formatMicros, parseMicros } from "../indicators/fixed.ts";
import type { IndicatorRow } from "../series/book.ts";
import { DAY_US, type Interval, type MinuteBar } from "../series/rollup.ts";

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

/** A stored indicator value as served: decimals as canonical strings. */
export interface ServedValue {
  start: number;
  value: string;
  lower: string | null;
  upper: string | null;
  provisional: boolean;
}

const localDate = partitionDay;
const decimal = (micros: bigint) => BigDecimal.fromString(formatMicros(micros));
const canonical = (value: unknown) =>
  value === null || value === undefined ? null : formatMicros(parseMicros(String(value)));

const INSERT_1M = insertInto(INDICATORS_1M, [
  "symbol",
  "day",
  "name",
  "bar_start",
  "value",
  "lower",
  "upper",
  "provisional",
  "updated_at",
]);
const INSERT_ROLLUP = insertInto(INDICATORS_ROLLUP, [
  "symbol",
  "interval",
  "day",
  "name",
  "bar_start",
  "value",
  "lower",
  "upper",
  "provisional",
  "updated_at",
]);
const SELECT_DAY_BARS = `SELECT minute, CAST(open AS text) AS open, CAST(high AS text) AS high, CAST(low AS text) AS low,
  CAST(close AS text) AS close, volume, CAST(vwap AS text) AS vwap, trades FROM ${BARS_1M.name} WHERE symbol = ? AND day = ?`;
const SELECT_1M = `SELECT name, bar_start, CAST(value AS text) AS value, CAST(lower AS text) AS lower,
  CAST(upper AS text) AS upper, provisional FROM ${INDICATORS_1M.name}
  WHERE symbol = ? AND day = ? AND name = ? AND bar_start >= ? AND bar_start < ?`;
const SELECT_ROLLUP = `SELECT name, bar_start, CAST(value AS text) AS value, CAST(lower AS text) AS lower,
  CAST(upper AS text) AS upper, provisional FROM ${INDICATORS_ROLLUP.name}
  WHERE symbol = ? AND interval = ? AND day = ? AND name = ? AND bar_start >= ? AND bar_start < ?`;
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

/** Rows of one partition go in one unlogged batch (one mutation); partitions in parallel. */
const BATCH_ROWS = 50;

/**
 * The analytics tables (cql/004_analytics.cql) and the one read of the consumer's: the stored
 * 1-minute bars of a session. Every write is idempotent (keys derived from what the row is computed
 * from); driver errors are left unclassified, so retry loops treat them as transient.
 *
 * @example
 *   const store = createAnalyticsStore({ client, consistency, maxConcurrency: 32 });
 *   await store.writeIndicators(rows);
 */
export function createAnalyticsStore(options: {
  client: cassandra.Client;
  consistency: number;
  maxConcurrency: number;
}) {
  const { client } = options;
  const write = { prepare: true, consistency: options.consistency };
  const read = { prepare: true, consistency: options.consistency, fetchSize: 5000 };

  async function bounded<T>(items: T[], run: (item: T) => Promise<unknown>) {
    let next = 0;
    const workers = Array.from(
      { length: Math.min(options.maxConcurrency, items.length) },
      async () => {
        while (next < items.length) {
          const item = items[next++] as T;
          await run(item);
        }
      },
    );
    await Promise.all(workers);
  }

  const bands = (value: IndicatorValue) =>
    "value" in value
      ? { value: decimal(value.value), lower: null, upper: null }
      : { value: decimal(value.middle), lower: decimal(value.lower), upper: decimal(value.upper) };

  async function readAll(query: string, params: unknown[]) {
    const rows: cassandra.types.Row[] = [];
    let pageState: string | undefined;
    for (let page = 0; page < 1000; page += 1) {
      const result = await client.execute(query, params, { ...read, pageState });
      rows.push(...result.rows);
      pageState = result.pageState ?? undefined;
      if (!pageState) break;
    }
    return rows;
  }

  const store = {
    /** The stored 1-minute bars of `symbol` on the UTC day starting at `day` (µs). */
    async dayBars(symbol: string, day: number): Promise<MinuteBar[]> {
      const result = await client.execute(SELECT_DAY_BARS, [symbol, localDate(day)], {
        ...read,
        fetchSize: 2000,
      });
      return result.rows.map((row) => ({
        start: (row.get("minute") as Date).getTime() * 1000,
        open: parseMicros(canonical(row.get("open")) as string),
        high: parseMicros(canonical(row.get("high")) as string),
        low: parseMicros(canonical(row.get("low")) as string),
        close: parseMicros(canonical(row.get("close")) as string),
        volume: BigInt(row.get("volume").toString()),
        vwap: parseMicros(canonical(row.get("vwap")) as string),
        trades: BigInt(row.get("trades").toString()),
      }));
    },

    /**
     * The 1-minute bars of the symbol's `count` sessions before `day` (newest first): UTC days with
     * at least one bar, looking back at most `lookbackDays` days (weekends and holidays have none, so
     * they are skipped: the calendar is the data's). Fewer when the history is shorter.
     */
    async previousSessions(
      symbol: string,
      day: number,
      count: number,
      lookbackDays: number,
    ): Promise<MinuteBar[][]> {
      const sessions: MinuteBar[][] = [];
      for (let back = 1; back <= lookbackDays && sessions.length < count; back += 7) {
        const days = Array.from(
          { length: Math.min(7, lookbackDays - back + 1) },
          (_, i) => day - (back + i) * DAY_US,
        );
        const read = await Promise.all(days.map((d) => store.dayBars(symbol, d)));
        for (const bars of read)
          if (bars.length > 0 && sessions.length < count) sessions.push(bars);
      }
      return sessions;
    },

    /** Writes indicator rows (the last of each key wins within the call). */
    async writeIndicators(rows: IndicatorRow[]): Promise<void> {
      const now = new Date();
      const latest = new Map<string, IndicatorRow>();
      for (const row of rows)
        latest.set(`${row.symbol}|${row.interval}|${row.start}|${row.name}`, row);
      const partitions = new Map<string, { query: string; params: unknown[] }[]>();
      for (const row of latest.values()) {
        const { value, lower, upper } = bands(row.value);
        const start = new Date(row.start / 1000);
        const day = localDate(row.start);
        const statement =
          row.interval === "1m"
            ? {
                query: INSERT_1M,
                params: [
                  row.symbol,
                  day,
                  row.name,
                  start,
                  value,
                  lower,
                  upper,
                  row.provisional,
                  now,
                ],
              }
            : {
                query: INSERT_ROLLUP,
                params: [
                  row.symbol,
                  row.interval,
                  day,
                  row.name,
                  start,
                  value,
                  lower,
                  upper,
                  row.provisional,
                  now,
                ],
              };
        const key = `${row.symbol}|${row.interval}|${row.day}`;
        const list = partitions.get(key);
        if (list) list.push(statement);
        else partitions.set(key, [statement]);
      }
      const chunks: { query: string; params: unknown[] }[][] = [];
      for (const list of partitions.values())
        for (let i = 0; i < list.length; i += BATCH_ROWS)
          chunks.push(list.slice(i, i + BATCH_ROWS));
      await bounded(chunks, (chunk) =>
        chunk.length === 1
          ? client.execute(
              (chunk[0] as { query: string }).query,
              (chunk[0] as { params: unknown[] }).params,
              write,
            )
          : client.batch(chunk, { ...write, logged: false }),
      );
    },

    /**
     * Stored values of `names` for `symbol` at `interval` with bar start in [from, to) µs, oldest
     * first. 1d rows are in `indicators_rollup` too, one per day partition (days read in parallel).
     */
    async indicators(
      symbol: string,
      interval: Interval,
      names: string[],
      from: number,
      to: number,
    ) {
      const days: number[] = [];
      for (let day = Math.floor(from / DAY_US) * DAY_US; day < to; day += DAY_US) days.push(day);
      const reads = names.flatMap((name) => days.map((day) => ({ name, day })));
      const found = new Map<string, ServedValue[]>();
      const range = [new Date(from / 1000), new Date(to / 1000)];
      await bounded(reads, async ({ name, day }) => {
        const rows =
          interval === "1m"
            ? await readAll(SELECT_1M, [symbol, localDate(day), name, ...range])
            : await readAll(SELECT_ROLLUP, [symbol, interval, localDate(day), name, ...range]);
        found.set(
          `${name}|${day}`,
          rows.map((row) => ({
            start: (row.get("bar_start") as Date).getTime() * 1000,
            value: canonical(row.get("value")) as string,
            lower: canonical(row.get("lower")),
            upper: canonical(row.get("upper")),
            provisional: row.get("provisional") === true,
          })),
        );
      });
      return Object.fromEntries(
        names.map((name) => [name, days.flatMap((day) => found.get(`${name}|${day}`) ?? [])]),
      ) as Record<string, ServedValue[]>;
    },

    async rules(): Promise<StoredRule[]> {
      const rows = await readAll(
        "SELECT id, symbol, condition, webhook_url, webhook_secret, created_by, created_at FROM alert_rules",
        [],
      );
      return rows.map((row) => ({
        id: row.get("id"),
        symbol: row.get("symbol"),
        condition: JSON.parse(row.get("condition") as string),
        webhookUrl: row.get("webhook_url") ?? null,
        webhookSecret: row.get("webhook_secret") ?? null,
        createdBy: row.get("created_by") ?? null,
        createdAt: (row.get("created_at") as Date).getTime() * 1000,
      }));
    },

    async putRule(rule: StoredRule): Promise<void> {
      await client.execute(
        insertInto(ALERT_RULES, [
          "id",
          "symbol",
          "condition",
          "webhook_url",
          "webhook_secret",
          "created_by",
          "created_at",
        ]),
        [
          rule.id,
          rule.symbol,
          JSON.stringify(rule.condition),
          rule.webhookUrl,
          rule.webhookSecret,
          rule.createdBy,
          new Date(rule.createdAt / 1000),
        ],
        write,
      );
    },

    async deleteRule(id: string): Promise<void> {
      await client.execute("DELETE FROM alert_rules WHERE id = ?", [id], write);
    },

    /** Records a firing unless its dedup key is already stored: true when this call recorded it. */
    async recordFiring(firing: Firing): Promise<boolean> {
      const result = await client.execute(
        INSERT_ALERT,
        [
          localDate(firing.barStart),
          new Date(firing.barStart / 1000),
          firing.dedupKey,
          firing.ruleId,
          firing.symbol,
          firing.kind,
          firing.event,
          BigDecimal.fromString(firing.price),
          firing.value === null ? null : BigDecimal.fromString(firing.value),
          firing.message,
          new Date(firing.firedAt / 1000),
        ],
        {
          prepare: true,
          consistency: options.consistency,
          serialConsistency: cassandra.types.consistencies.localSerial,
        },
      );
      return result.wasApplied();
    },

    /** Firings whose bar started in [from, to) µs, oldest first. */
    async firings(from: number, to: number): Promise<Firing[]> {
      const firings: Firing[] = [];
      for (let day = Math.floor(from / DAY_US) * DAY_US; day < to; day += DAY_US) {
        const rows = await readAll(SELECT_ALERTS, [
          localDate(day),
          new Date(from / 1000),
          new Date(to / 1000),
        ]);
        for (const row of rows)
          firings.push({
            dedupKey: row.get("dedup_key"),
            ruleId: row.get("rule_id"),
            symbol: row.get("symbol"),
            kind: row.get("kind"),
            event: row.get("event"),
            barStart: (row.get("bar_start") as Date).getTime() * 1000,
            price: canonical(row.get("price")) as string,
            value: canonical(row.get("value")),
            message: row.get("message"),
            firedAt: (row.get("fired_at") as Date).getTime() * 1000,
          });
      }
      return firings;
    },

    async ping(): Promise<boolean> {
      await client.execute("SELECT release_version FROM system.local", [], {
        consistency: cassandra.types.consistencies.localOne,
      });
      return true;
    },
  };
  return store;
}

export type AnalyticsStore = ReturnType<typeof createAnalyticsStore>;
