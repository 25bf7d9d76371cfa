import type { Logger } from "@repo/platform/log";
import { sleep } from "@repo/platform/retry";
import type { Stats } from "@repo/platform/stats";
import type { TickBuffer } from "../forward/buffer.ts";
import type { AlpacaHistory, AlpacaHistoryKind, AlpacaPage } from "../providers/alpaca-history.ts";
import { offerPaced, type TickSink } from "../providers/provider.ts";
import { exchangeDay, sessionsBetween } from "../schedule/calendar.ts";
import { METRIC } from "../stats.ts";
import type { Progress, ProgressReporter } from "./progress.ts";
import { type BackfillJob, type BackfillState, saveState, type UnitProgress } from "./state.ts";

export interface BackfillOptions {
  job: BackfillJob;
  history: AlpacaHistory;
  sink: TickSink;
  buffer: TickBuffer;
  stats: Stats;
  state: BackfillState;
  statePath: string;
  reporter: ProgressReporter;
  /** Why the forwarder holds records, while it does (shown in progress). */
  forwarding: () => string | undefined;
  log: Logger;
  signal?: AbortSignal;
  /** Keeps the progress somewhere else than `statePath` (ingest's store); may be async. */
  save?: (state: BackfillState) => void | Promise<void>;
  /**
   * Resolves once the page just offered was taken by the producer; by default, once the buffer is
   * empty (the CLI's buffer holds nothing else).
   */
  delivered?: (signal?: AbortSignal) => Promise<void>;
}

export interface BackfillSummary {
  outcome: "done" | "interrupted";
  units: number;
  unitsDone: number;
  fetched: number;
  forwarded: number;
  rejected: number;
  dropped: number;
}

/**
 * Loads history through the producer path: for every trading session in [from, to) and every kind,
 * the New York day's pages are fetched, offered to the same gates and buffer as live ticks (history
 * mode), and the page token is saved only after the producer took every record of the page. A rerun
 * resumes at the saved token; records sent twice keep their identity, so storage holds each once.
 * The next page is fetched while the previous one is delivered.
 *
 * @example
 *   const summary = await runBackfill({ job, history, sink, buffer, stats, state, statePath, reporter, forwarding, log });
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillSummary> {
  const { job, state, stats, reporter, signal } = options;
  const units = sessionsBetween(job.from, job.to).flatMap((session) =>
    job.kinds.map((kind) => ({ date: session.date, kind: kind as AlpacaHistoryKind })),
  );
  const key = (unit: { date: string; kind: string }) => `${unit.date}/${unit.kind}`;
  const started = performance.now();
  const counted = () => {
    const rejected = Object.entries(stats.counters(METRIC.rejected(""))).reduce(
      (sum, [, n]) => sum + n,
      0,
    );
    return {
      fetched: stats.counter(METRIC.fetched).value,
      forwarded: stats.counter(METRIC.forwarded).value,
      rejected,
      dropped: stats.counter(METRIC.dropped).value,
    };
  };
  const unitsDone = () => units.filter((unit) => state.units[key(unit)]?.done).length;
  const progress = (event: Progress["event"], extra: Partial<Progress> = {}): Progress => {
    const counts = counted();
    const seconds = (performance.now() - started) / 1000;
    return {
      event,
      unitsDone: unitsDone(),
      units: units.length,
      ...counts,
      ticksPerSecond: seconds > 0 ? Math.round(counts.forwarded / seconds) : 0,
      ...extra,
    };
  };

  reporter.report(
    progress("start", {
      detail: `${units.length} units (${job.kinds.join(", ")} × ${units.length / Math.max(1, job.kinds.length)} sessions); ${unitsDone()} already done; state ${options.statePath}`,
    }),
  );

  try {
    return await loadUnits();
  } catch (error) {
    reporter.report(
      progress("failed", {
        detail: `${(error as Error).message}; progress kept in ${options.statePath}; run the same command again to resume`,
      }),
    );
    throw error;
  }

  async function loadUnits(): Promise<BackfillSummary> {
    for (const unit of units) {
      const name = key(unit);
      const saved: UnitProgress = state.units[name] ?? {
        done: false,
        pageToken: null,
        pages: 0,
        fetched: 0,
      };
      if (saved.done) continue;
      const day = exchangeDay(unit.date);
      const range = {
        symbols: job.symbols,
        start: day.start.toISOString(),
        end: new Date(day.end.getTime() - 1).toISOString(),
      };
      const fetch = (token: string | null) => {
        const next = options.history.page(unit.kind, range, token ?? undefined, signal);
        next.catch(() => {}); // awaited below; a prefetch abandoned by an interruption must not go unhandled
        return next;
      };
      let pending: Promise<AlpacaPage> = fetch(saved.pageToken);
      for (;;) {
        const page = await pending;
        if (signal?.aborted) return summary("interrupted");
        await offerPaced(options.sink, page.result, { history: true }, signal);
        // Fetch the next page while this one is delivered.
        if (page.nextPageToken) pending = fetch(page.nextPageToken);
        if (options.delivered) await options.delivered(signal);
        else
          await delivered(options.buffer, signal, () =>
            reporter.report(
              progress("progress", {
                unit: name,
                page: saved.pages + 1,
                detail: options.forwarding(),
              }),
            ),
          );
        if (signal?.aborted) return summary("interrupted");
        saved.pages += 1;
        saved.fetched += page.result.ticks.length;
        saved.pageToken = page.nextPageToken;
        saved.done = page.nextPageToken === null;
        state.units[name] = saved;
        if (options.save) await options.save(state);
        else saveState(options.statePath, state);
        reporter.report(progress("progress", { unit: name, page: saved.pages }));
        if (saved.done) break;
      }
    }
    return summary("done");
  }

  function summary(outcome: BackfillSummary["outcome"]): BackfillSummary {
    const counts = counted();
    reporter.report(progress(outcome === "done" ? "done" : "interrupted"));
    return { outcome, units: units.length, unitsDone: unitsDone(), ...counts };
  }
}

/** Waits until the forwarder took everything buffered (delivered or refused for good). */
async function delivered(buffer: TickBuffer, signal: AbortSignal | undefined, tick: () => void) {
  let waited = 0;
  while (buffer.size > 0 && !signal?.aborted) {
    await sleep(20, signal);
    waited += 20;
    if (waited % 5_000 === 0) tick();
  }
}
