import type { ConsumedRecord, ManualCommitConsumer, PartitionOffset } from "@repo/kafka-node/types";
import type { Logger } from "@repo/platform/log";
import { backoffDelay, sleep } from "@repo/platform/retry";
import type { Stats } from "@repo/platform/stats";
import { createSteps, Stopped } from "@repo/platform/steps";
import { type AlertEvent, createEvaluator } from "./alerts/evaluate.ts";
import type { Rule } from "./alerts/rules.ts";
import { deliveryOf } from "./alerts/webhooks.ts";
import type { OutboxDelivery, OutboxStore } from "./cassandra/outbox.ts";
import type { AnalyticsStore, Firing } from "./cassandra/store.ts";
import type { DecodedBar } from "./kafka/bars.ts";
import { dayOf, type IndicatorRow, type SessionBook } from "./series/book.ts";
import { historyLookbackDays } from "./series/daily.ts";
import { METRIC } from "./stats.ts";

export interface RunnerOptions {
  consumer: Pick<ManualCommitConsumer, "poll" | "commit" | "pauseAll" | "resumeAll">;
  decode: (value: Buffer | null) => Promise<DecodedBar>;
  book: SessionBook;
  store: Pick<AnalyticsStore, "dayBars" | "previousSessions" | "writeIndicators" | "recordFiring">;
  /** Earlier sessions a loaded session needs (`historySessions`: the longest `rvol<N>`, the 1d window). */
  historySessions?: number;
  /** Resolves once Kafka acknowledged every indicator record. */
  publishIndicators: (rows: IndicatorRow[]) => Promise<void>;
  /** The rules of a symbol now. */
  rulesOf: (symbol: string) => readonly Rule[];
  /**
   * The webhook outbox: a firing's delivery is claimed there before the firing is recorded (and
   * released when the firing turns out recorded already). Without it nothing is sent to webhooks.
   */
  outbox?: Pick<OutboxStore, "claim" | "remove">;
  /**
   * A firing recorded for the first time: stream it, and send `delivery` (its claimed outbox row,
   * when its rule has a webhook and no earlier row is still waiting) to the webhook.
   */
  delivered: (firing: Firing, rule: Rule | undefined, delivery?: OutboxDelivery) => void;
  stats: Stats;
  log: Logger;
  maxBatch: number;
  retryMaxDelayMs: number;
  now?: () => number;
}

/**
 * The analytics loop: polls bar records, decodes them, applies each version to the session book
 * (loading a session's stored bars the first time it is touched), evaluates the alert rules on every
 * update of a session's latest minute that is not stale, then writes the changed indicator rows, publishes
 * them, records the firings (a firing whose dedup key is already stored is not delivered again), and
 * only then commits the batch's offsets. Transient failures pause the partitions and retry the step
 * with backoff ({@link createSteps}: the partitions resume, and `failingStep` clears, once every
 * failing step recovered); a record that is not a bar is counted and skipped.
 *
 * @example
 *   const runner = createRunner({ consumer, decode, book, store, publishIndicators, rulesOf, delivered, stats, log, maxBatch: 2000, retryMaxDelayMs: 5000 });
 *   runner.start();
 */
export function createRunner(options: RunnerOptions) {
  const { consumer, book, stats, log } = options;
  const now = options.now ?? Date.now;
  const evaluator = createEvaluator();
  let stopping = false;
  let loop: Promise<void> | undefined;
  let lastSweep = 0;
  const steps = createSteps({ ...options, isStopping: () => stopping });

  async function handle(records: ConsumedRecord[]) {
    const started = performance.now();
    stats.counter(METRIC.barsConsumed).add(records.length);
    const decoded = await steps.run("decode", () =>
      Promise.all(records.map((r) => options.decode(r.value))),
    );
    const rows: IndicatorRow[] = [];
    const events: AlertEvent[] = [];
    const missing = new Map<string, { symbol: string; day: number }>();
    decoded.forEach((result) => {
      if (!result.ok) return;
      const day = dayOf(result.bar.start);
      if (!book.has(result.symbol, day))
        missing.set(`${result.symbol}|${day}`, { symbol: result.symbol, day });
    });
    if (missing.size > 0) {
      const sessions = [...missing.values()];
      const count = options.historySessions ?? 0;
      const lookback = historyLookbackDays(count);
      const stored = await steps.run("readSessions", () =>
        Promise.all(
          sessions.map(async (s) => ({
            bars: await options.store.dayBars(s.symbol, s.day),
            history:
              count > 0
                ? await options.store.previousSessions(s.symbol, s.day, count, lookback)
                : [],
          })),
        ),
      );
      sessions.forEach((s, i) => {
        rows.push(...book.load(s.symbol, s.day, stored[i]?.bars ?? [], stored[i]?.history ?? []));
      });
      stats.counter(METRIC.sessionsLoaded).add(sessions.length);
    }
    decoded.forEach((result, i) => {
      const record = records[i] as ConsumedRecord;
      if (!result.ok) {
        stats.counter(METRIC.barsSkipped(result.code)).add();
        log.warn(
          {
            partition: record.partition,
            offset: record.offset,
            reason: result.code,
            detail: result.detail.slice(0, 300),
          },
          "bars record skipped",
        );
        return;
      }
      const day = dayOf(result.bar.start);
      if (!book.has(result.symbol, day)) rows.push(...book.load(result.symbol, day, []));
      const applied = book.apply(result.symbol, result.bar);
      if (!applied.accepted && !applied.same) {
        stats.counter(METRIC.barsStale).add();
        return;
      }
      // A version equal to the bar held (the session was just read with it) changes no row but is
      // still an update the rules see: evaluating it twice moves no latch and fires nothing twice.
      rows.push(...applied.rows);
      const minutes = book.minutes(result.symbol, day);
      const latest = minutes[minutes.length - 1];
      const rules = options.rulesOf(result.symbol);
      if (rules.length === 0 || latest?.start !== result.bar.start) return;
      events.push(
        ...evaluator.evaluate(rules, {
          symbol: result.symbol,
          bar: result.bar,
          minutes,
          indicators: book.valuesAt(result.symbol, result.bar.start),
        }),
      );
    });
    if (now() - lastSweep >= 1000) {
      lastSweep = now();
      rows.push(...book.closeDue());
    }
    if (rows.length > 0) {
      await Promise.all([
        steps.run("writeIndicators", () => options.store.writeIndicators(rows)),
        steps.run("publishIndicators", () => options.publishIndicators(rows)),
      ]);
      stats.counter(METRIC.indicatorRows).add(rows.length);
      stats.counter(METRIC.indicatorsPublished).add(rows.length);
    }
    const timestamps = records.map((r) => r.timestamp).filter((t): t is number => t !== undefined);
    for (const t of timestamps) stats.latency(METRIC.barToIndicatorsMs).record(now() - t);
    for (const event of events) await fire(event);
    stats.latency(METRIC.batchMs).record(performance.now() - started);
  }

  async function fire(event: AlertEvent) {
    const firing: Firing = { ...event, firedAt: now() * 1000 };
    const rule = options.rulesOf(event.symbol).find((r) => r.id === event.ruleId);
    const { outbox } = options;
    const delivery = rule?.webhook && outbox ? deliveryOf(rule.webhook, firing, now()) : undefined;
    const claimed =
      delivery && outbox ? await steps.run("claimDelivery", () => outbox.claim(delivery)) : false;
    const recorded = await steps.run("recordFiring", () => options.store.recordFiring(firing));
    if (!recorded) {
      stats.counter(METRIC.alertsDuplicate).add();
      if (claimed && delivery && outbox)
        await steps.run("releaseDelivery", () => outbox.remove(delivery));
      return;
    }
    stats.counter(METRIC.alertsFired).add();
    options.delivered(firing, rule, claimed ? delivery : undefined);
  }

  function commitOffsets(records: ConsumedRecord[]) {
    const next = new Map<string, PartitionOffset>();
    for (const r of records)
      next.set(`${r.topic}\u0000${r.partition}`, {
        topic: r.topic,
        partition: r.partition,
        offset: r.offset + 1,
      });
    try {
      consumer.commit([...next.values()], { wait: false });
    } catch (error) {
      log.warn({ err: error }, "offset commit failed; the next batch commits again");
    }
  }

  async function run() {
    let idle = 0;
    while (!stopping) {
      let records: ConsumedRecord[];
      try {
        records = await consumer.poll(options.maxBatch);
        idle = 0;
      } catch (error) {
        log.warn({ err: error }, "poll failed");
        await sleep(backoffDelay(idle++, { maxDelayMs: options.retryMaxDelayMs }));
        continue;
      }
      try {
        if (records.length === 0) {
          if (now() - lastSweep >= 1000) await handle([]);
          continue;
        }
        await handle(records);
        commitOffsets(records);
      } catch (error) {
        if (error instanceof Stopped) return;
        throw error;
      }
    }
  }

  return {
    start() {
      loop = run().catch((error) => {
        log.fatal({ err: error }, "analytics loop crashed");
        process.exit(1);
      });
    },
    async stop() {
      stopping = true;
      await loop;
    },
    /** Partitions moved to another member: their sessions are reloaded if they come back. */
    revoked() {
      book.clear();
    },
    failingStep: steps.failingStep,
    forgetRule: (id: string) => evaluator.forget(id),
  };
}
