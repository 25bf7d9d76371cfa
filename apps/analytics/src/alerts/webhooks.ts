import { createHmac } from "node:crypto";
import { formatTimestamp } from "@repo/contracts";
import type { AnalyticsAlertJson } from "@repo/contracts/analytics-responses";
import type { Logger } from "@repo/platform/log";
import { backoffDelay } from "@repo/platform/retry";
import type { Stats } from "@repo/platform/stats";
import type { OutboxDelivery } from "../cassandra/outbox.ts";
import type { Firing } from "../cassandra/store.ts";

/** The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export const SIGNATURE_HEADER = "x-marketpipe-signature";
/** The firing's dedup key: the same on every retry of one alert (receivers dedupe on it). */
export const DELIVERY_HEADER = "x-marketpipe-delivery";

/**
 * The signature of a webhook body sent at `timestamp` (unix seconds).
 *
 * @example
 *   signBody("secret-of-16-chars", 1767225600, '{"a":1}'); // "t=1767225600,v1=5c…"
 */
export function signBody(secret: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

interface Delivery extends OutboxDelivery {
  attempts: number;
  dueAt: number;
}

/**
 * The delivery of `firing` to `webhook`, queued at `now` (ms): the body is fixed here, so a delivery
 * read back from the outbox after a restart sends the same bytes under the same id.
 *
 * @example
 *   const delivery = deliveryOf({ url, secret }, firing, Date.now());
 */
export function deliveryOf(
  webhook: { url: string; secret: string },
  firing: Firing,
  now: number,
): OutboxDelivery {
  return {
    id: firing.dedupKey,
    ruleId: firing.ruleId,
    barStart: firing.barStart,
    url: webhook.url,
    secret: webhook.secret,
    body: JSON.stringify(alertJson(firing)),
    enqueuedAt: now,
  };
}

export const WEBHOOK_METRIC = {
  delivered: "webhooks.delivered",
  retried: "webhooks.retried",
  /** Read back from the outbox at start (deliveries a restart left waiting). */
  restored: "webhooks.restored",
  /** Dropped: the queue was full (oldest dropped), the receiver refused (4xx), or it expired. */
  dropped: (reason: "queue_full" | "refused" | "expired") => `webhooks.dropped.${reason}`,
} as const;

/**
 * Sends firings to their rules' webhooks, signed with HMAC-SHA256, off the evaluation path: `send`
 * only queues. Failed deliveries (no connection, timeout, 408/429/5xx) are retried with jittered
 * backoff until `maxAgeMs`; another 4xx drops the delivery. At most `maxQueue` deliveries wait
 * (beyond it the oldest is dropped) and `concurrency` are in flight, so a dead receiver never slows
 * evaluation or the other receivers. Each delivery's outbox row is written by the caller before
 * `send`; `settled` is called once a delivery leaves the queue for good (delivered, refused, expired
 * or pushed out), so its row can be deleted, and `restore` queues the rows a restart left waiting.
 *
 * @example
 *   const webhooks = createWebhookSender({ maxQueue: 10_000, timeoutMs: 5000, maxAgeMs: 3_600_000, maxDelayMs: 30_000, stats, log, settled: (d) => outbox.remove(d) });
 *   webhooks.send(deliveryOf({ url, secret }, firing, Date.now()));
 */
export function createWebhookSender(options: {
  maxQueue: number;
  timeoutMs: number;
  maxAgeMs: number;
  maxDelayMs: number;
  concurrency?: number;
  stats: Stats;
  log: Logger;
  /** A delivery left the queue for good (its outbox row may go). */
  settled?: (delivery: OutboxDelivery) => void;
  now?: () => number;
}) {
  const settled = options.settled ?? (() => {});
  const now = options.now ?? Date.now;
  const waiting: Delivery[] = [];
  let inFlight = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  function schedule() {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    const next = waiting.reduce(
      (soonest, d) => Math.min(soonest, d.dueAt),
      Number.POSITIVE_INFINITY,
    );
    if (next === Number.POSITIVE_INFINITY) return;
    timer = setTimeout(pump, Math.max(0, next - now()));
  }

  function pump() {
    const limit = options.concurrency ?? 8;
    const t = now();
    waiting.sort((a, b) => a.dueAt - b.dueAt);
    while (inFlight < limit) {
      const index = waiting.findIndex((d) => d.dueAt <= t);
      if (index < 0) break;
      const [delivery] = waiting.splice(index, 1);
      if (delivery) void attempt(delivery);
    }
    schedule();
  }

  async function attempt(delivery: Delivery) {
    inFlight += 1;
    let retry = false;
    try {
      const timestamp = Math.floor(now() / 1000);
      const response = await fetch(delivery.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [SIGNATURE_HEADER]: signBody(delivery.secret, timestamp, delivery.body),
          [DELIVERY_HEADER]: delivery.id,
        },
        body: delivery.body,
        redirect: "manual",
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        options.stats.counter(WEBHOOK_METRIC.delivered).add();
        settled(delivery);
      } else if (response.status === 408 || response.status === 429 || response.status >= 500)
        retry = true;
      else {
        options.stats.counter(WEBHOOK_METRIC.dropped("refused")).add();
        settled(delivery);
        options.log.warn(
          { rule: delivery.ruleId, status: response.status },
          "webhook refused an alert; dropped",
        );
      }
    } catch {
      retry = true;
    } finally {
      inFlight -= 1;
    }
    if (retry) {
      delivery.attempts += 1;
      if (now() - delivery.enqueuedAt >= options.maxAgeMs) {
        options.stats.counter(WEBHOOK_METRIC.dropped("expired")).add();
        settled(delivery);
        options.log.warn(
          { rule: delivery.ruleId, attempts: delivery.attempts },
          "webhook unreachable for too long; alert dropped",
        );
      } else {
        options.stats.counter(WEBHOOK_METRIC.retried).add();
        delivery.dueAt =
          now() +
          backoffDelay(delivery.attempts - 1, { minDelayMs: 200, maxDelayMs: options.maxDelayMs });
        enqueue(delivery);
      }
    }
    pump();
  }

  function enqueue(delivery: Delivery) {
    if (waiting.length >= options.maxQueue) {
      waiting.sort((a, b) => a.enqueuedAt - b.enqueuedAt);
      const oldest = waiting.shift();
      if (oldest) settled(oldest);
      options.stats.counter(WEBHOOK_METRIC.dropped("queue_full")).add();
    }
    waiting.push(delivery);
  }

  return {
    /** Queues `delivery` (see {@link deliveryOf}); returns at once. */
    send(delivery: OutboxDelivery) {
      enqueue({ ...delivery, attempts: 0, dueAt: now() });
      pump();
    },
    /** Queues the deliveries a restart left in the outbox (their retry window runs from `enqueuedAt`). */
    restore(deliveries: readonly OutboxDelivery[]) {
      for (const delivery of deliveries) {
        if (now() - delivery.enqueuedAt >= options.maxAgeMs) {
          options.stats.counter(WEBHOOK_METRIC.dropped("expired")).add();
          settled(delivery);
          continue;
        }
        options.stats.counter(WEBHOOK_METRIC.restored).add();
        enqueue({ ...delivery, attempts: 0, dueAt: now() });
      }
      pump();
    },
    /** Deliveries waiting (including those waiting for a retry). */
    get waiting() {
      return waiting.length;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** A firing as JSON (the webhook body, the SSE event, `GET /v1/alerts`): times ISO 8601 UTC. */
export function alertJson(firing: Firing): AnalyticsAlertJson {
  return {
    id: firing.dedupKey,
    ruleId: firing.ruleId,
    symbol: firing.symbol,
    kind: firing.kind,
    event: firing.event,
    barStart: formatTimestamp(firing.barStart),
    price: firing.price,
    value: firing.value,
    message: firing.message,
    firedAt: formatTimestamp(firing.firedAt),
  };
}
