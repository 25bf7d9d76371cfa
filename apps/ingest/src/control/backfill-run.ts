import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";
import { runBackfill } from "../backfill/backfill.ts";
import type { BackfillRecord } from "../backfill/job.ts";
import type { Progress } from "../backfill/progress.ts";
import type { BackfillState } from "../backfill/state.ts";
import type { TickBuffer } from "../forward/buffer.ts";
import type { AlpacaHistory } from "../providers/alpaca-history.ts";
import type { TickSink } from "../providers/provider.ts";

/** What running one backfill needs from ingest. */
export interface BackfillRunOptions {
  /** The Alpaca history for these kinds, or undefined when no Alpaca keys are configured. */
  historyFor: (kinds: ("trades" | "quotes")[]) => AlpacaHistory | undefined;
  /** The sink backfills deliver to (the live one: same gates, dedupe, buffer and forwarder). */
  sink: TickSink;
  buffer: TickBuffer;
  stats: Stats;
  forwarding: () => string | undefined;
  log: Logger;
}

/** The backfill running now; a cancel sets `cancelledBy` and aborts it. */
export interface RunningBackfill {
  id: string;
  abort: AbortController;
  cancelledBy?: string | null;
}

/**
 * Runs (or resumes) one stored backfill to its end as a `backfill` run of the live pipeline:
 * `running`, its progress saved with every page, then `done`, `cancelled`, `failed`, or left
 * `running` when ingest shuts down (resumed at the next start).
 *
 * @example
 *   await executeBackfill(record, options, { persist, running: (now) => { current = now; } });
 */
export async function executeBackfill(
  record: BackfillRecord,
  options: BackfillRunOptions,
  hooks: {
    persist(record: BackfillRecord): Promise<void>;
    /** The backfill is running (`cancelledBy` is set on it by a cancel), or ended (undefined). */
    running(current: RunningBackfill | undefined): void;
  },
) {
  const { log } = options;
  const persist = hooks.persist;
  const history = options.historyFor(record.kinds);
  if (!history) {
    record.status = "failed";
    record.error = "no Alpaca keys configured";
    record.endedAt = new Date().toISOString();
    await persist(record);
    return;
  }
  const abort = new AbortController();
  const current: RunningBackfill = { id: record.id, abort };
  hooks.running(current);
  const scope = options.sink.begin?.("backfill", {
    backfill: record.id,
    symbols: record.symbols,
    from: record.from,
    to: record.to,
    kinds: record.kinds,
  });
  const sink = scope?.sink ?? options.sink;
  const before = { ...record.progress };
  record.status = "running";
  record.startedAt ??= new Date().toISOString();
  if (scope) record.runs.push(scope.run.id);
  await persist(record);
  const tally = () => {
    const t = scope?.run.tally;
    if (!t) return;
    const refused = Object.values(t.refused).reduce((sum, n) => sum + n, 0);
    record.progress.fetched = before.fetched + t.fetched;
    record.progress.accepted = before.accepted + t.accepted;
    record.progress.forwarded = before.forwarded + t.forwarded;
    record.progress.refused = before.refused + refused;
    record.progress.dropped = before.dropped + t.dropped;
  };
  const state: BackfillState = {
    version: 1,
    job: {
      provider: record.provider,
      feed: "",
      symbols: record.symbols,
      from: record.from,
      to: record.to,
      kinds: record.kinds,
    },
    units: record.units,
    updatedAt: record.updatedAt,
  };
  const unitsDone = () => Object.values(record.units).filter((unit) => unit.done).length;
  try {
    const summary = await runBackfill({
      job: state.job,
      history,
      sink,
      buffer: options.buffer,
      stats: options.stats,
      state,
      statePath: `ingest_backfills/${record.id}`,
      reporter: {
        report(progress: Progress) {
          if (progress.unit && scope)
            scope.run.detail = { ...scope.run.detail, unit: progress.unit };
        },
        close() {},
      },
      forwarding: options.forwarding,
      log,
      signal: abort.signal,
      delivered: scope ? (signal) => scope.run.settled(signal) : undefined,
      save: async (saved) => {
        record.units = saved.units;
        record.progress.unitsDone = unitsDone();
        record.progress.pages = Object.values(saved.units).reduce((n, u) => n + u.pages, 0);
        tally();
        await persist(record);
      },
    });
    tally();
    if (summary.outcome === "done") {
      record.status = "done";
      record.endedAt = new Date().toISOString();
      scope?.run.end("ok");
      log.info({ backfill: record.id, ...record.progress }, "backfill done");
    } else if (current.cancelledBy !== undefined) {
      record.status = "cancelled";
      record.endedAt = new Date().toISOString();
      record.error = `cancelled by ${current.cancelledBy ?? "an operator"}`;
      scope?.run.end("cancelled", record.error);
      log.info({ backfill: record.id, by: current.cancelledBy }, "backfill cancelled");
    } else {
      scope?.run.end("interrupted", "ingest is shutting down; resumed at the next start");
    }
  } catch (error) {
    tally();
    record.endedAt = new Date().toISOString();
    if (current.cancelledBy !== undefined) {
      // A cancel aborts the page request in flight: that abort is the cancel, not a failure.
      record.status = "cancelled";
      record.error = `cancelled by ${current.cancelledBy ?? "an operator"}`;
      scope?.run.end("cancelled", record.error);
      log.info({ backfill: record.id, by: current.cancelledBy }, "backfill cancelled");
    } else {
      record.status = "failed";
      record.error = (error as Error).message;
      scope?.run.end("failed", record.error);
      log.error({ backfill: record.id, err: record.error }, "backfill failed");
    }
  } finally {
    hooks.running(undefined);
    history.close();
  }
  record.progress.unitsDone = unitsDone();
  await persist(record);
}
