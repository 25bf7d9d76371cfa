import { insertInto, WEBHOOK_OUTBOX } from "@repo/cassandra";
import cassandra from "cassandra-driver";

const HOUR_US = 3_600_000_000;

/** One webhook delivery waiting: what is sent again after a restart (the same id and body). */
export interface OutboxDelivery {
  /** The firing's dedup key: the `X-Marketpipe-Delivery` header. */
  id: string;
  ruleId: string;
  /** The firing's bar start (µs): picks the row's partition. */
  barStart: number;
  url: string;
  secret: string;
  body: string;
  /** When the delivery was first queued (ms): its retries end `ANALYTICS_WEBHOOK_MAX_AGE_MS` later. */
  enqueuedAt: number;
}

const hourOf = (micros: number) => Math.floor(micros / HOUR_US) * HOUR_US;
const INSERT = `${insertInto(WEBHOOK_OUTBOX)} IF NOT EXISTS USING TTL ?`;
const DELETE = `DELETE FROM ${WEBHOOK_OUTBOX.name} WHERE hour = ? AND delivery_id = ?`;
const SELECT = `SELECT delivery_id, rule_id, url, secret, body, enqueued_at FROM ${WEBHOOK_OUTBOX.name} WHERE hour = ?`;

/**
 * The webhook outbox (`webhook_outbox`, cql/006): deliveries waiting survive a restart. A row is
 * claimed before its firing is recorded, deleted once delivered or dropped, and read back at start.
 *
 * @example
 *   const outbox = createOutboxStore({ client, consistency, ttlSeconds: 3660 });
 *   if (await outbox.claim(delivery)) webhooks.send(delivery);
 */
export function createOutboxStore(options: {
  client: cassandra.Client;
  consistency: number;
  /** Each row's TTL: at least the delivery's retry window. */
  ttlSeconds: number;
}) {
  const { client } = options;
  const write = { prepare: true, consistency: options.consistency };
  return {
    /**
     * Writes `delivery` unless a row with its id is already waiting: true when this call wrote it
     * (a replay of a firing still waiting, or being delivered by another member, writes nothing).
     */
    async claim(delivery: OutboxDelivery): Promise<boolean> {
      const result = await client.execute(
        INSERT,
        [
          new Date(hourOf(delivery.barStart) / 1000),
          delivery.id,
          delivery.ruleId,
          delivery.url,
          delivery.secret,
          delivery.body,
          new Date(delivery.enqueuedAt),
          options.ttlSeconds,
        ],
        { ...write, serialConsistency: cassandra.types.consistencies.localSerial },
      );
      return result.wasApplied();
    },

    /** Deletes a delivery's row (delivered, refused, expired or pushed out of the queue). */
    async remove(delivery: Pick<OutboxDelivery, "id" | "barStart">): Promise<void> {
      await client.execute(
        DELETE,
        [new Date(hourOf(delivery.barStart) / 1000), delivery.id],
        write,
      );
    },

    /**
     * Every delivery waiting whose firing's bar started from `fromUs` on, oldest first. Rows are
     * bucketed by their bar's hour, and a bar may start after now (a producer's clock ahead of
     * ours, within the accepted skew), so the scan reaches the hour after `nowUs`'s.
     */
    async pending(fromUs: number, nowUs: number): Promise<OutboxDelivery[]> {
      const found: OutboxDelivery[] = [];
      for (let hour = hourOf(fromUs); hour <= hourOf(nowUs) + HOUR_US; hour += HOUR_US) {
        let pageState: string | undefined;
        do {
          const result = await client.execute(SELECT, [new Date(hour / 1000)], {
            ...write,
            fetchSize: 1000,
            pageState,
          });
          for (const row of result.rows)
            found.push({
              id: row.get("delivery_id"),
              ruleId: row.get("rule_id"),
              barStart: hour,
              url: row.get("url"),
              secret: row.get("secret"),
              body: row.get("body"),
              enqueuedAt: (row.get("enqueued_at") as Date).getTime(),
            });
          pageState = result.pageState ?? undefined;
        } while (pageState);
      }
      return found.sort((a, b) => a.enqueuedAt - b.enqueuedAt);
    },
  };
}

export type OutboxStore = ReturnType<typeof createOutboxStore>;
