import { randomUUID } from "node:crypto";
import type { Tick } from "@repo/contracts";
import type { Logger } from "@repo/platform/log";
import {
  addTo,
  emptyTally,
  type Run,
  type RunKind,
  type RunOutcome,
  type RunTally,
  type RunTrigger,
} from "./run.ts";
import type { RunQuery, RunStore } from "./store.ts";
import { createRunWriter } from "./writer.ts";

/** A run in progress: count into `tally` (through the sink), then `end` it. */
export interface RunHandle {
  readonly id: string;
  readonly provider: string;
  readonly kind: RunKind;
  readonly tally: RunTally;
  /** What the run covers; may be updated while it runs (a backfill's unit). */
  detail: Record<string, unknown>;
  /** Ends the run's work; it is stored as final once its accepted records left the buffer. */
  end(outcome: Exclude<RunOutcome, "running">, error?: string): void;
  /** Resolves once every record it accepted so far was forwarded or refused (or on abort). */
  settled(signal?: AbortSignal): Promise<void>;
  view(): Run;
}

export interface RunLedgerOptions {
  store: RunStore;
  log: Logger;
  /** How often open runs that changed are written (default 5 s). */
  checkpointMs?: number;
  /** Finished runs kept in memory for `/stats` and when the store cannot be read. */
  keepFinished?: number;
  now?: () => number;
}

/**
 * Keeps every run of ingest: opened by the poll, stream, recovery or backfill that does the work,
 * credited with each record it accepted as the forwarder reports it (`forwarded`, `refused`), and
 * written to the store when it starts (all but polls), every `checkpointMs` while it changes, and
 * when it is final. A store that fails is retried at the next checkpoint; runs are never lost while
 * the process lives.
 *
 * @example
 *   const ledger = createRunLedger({ store, log });
 *   const run = ledger.begin({ provider: "simulator", kind: "poll", trigger: "schedule" });
 *   sink.offer(result, { run: run.tally }); run.end("ok");
 */
export function createRunLedger(options: RunLedgerOptions) {
  const { store, log } = options;
  const now = options.now ?? Date.now;
  const owners = new WeakMap<Tick, RunState>();
  const byTally = new WeakMap<RunTally, RunState>();
  const open = new Map<string, RunState>();
  const finished: Run[] = [];
  const keepFinished = options.keepFinished ?? 200;
  const writer = createRunWriter(store, log);

  interface RunState {
    run: Run;
    tally: RunTally;
    ended: boolean;
    dirty: boolean;
    waiters: Set<() => void>;
  }

  function snapshot(state: RunState): Run {
    const { tally } = state;
    return {
      ...state.run,
      fetched: tally.fetched,
      accepted: tally.accepted,
      forwarded: tally.forwarded,
      refused: { ...tally.refused },
      skipped: { ...tally.skipped },
      dropped: tally.dropped,
      pending: tally.pending,
    };
  }

  function settleIfDone(state: RunState) {
    if (state.tally.pending > 0) return;
    for (const notify of state.waiters) notify();
    state.waiters.clear();
    if (!state.ended) return;
    open.delete(state.run.id);
    const final = snapshot(state);
    finished.push(final);
    if (finished.length > keepFinished) finished.shift();
    writer.save(final);
  }

  function checkpoint() {
    for (const state of open.values()) {
      if (!state.dirty) continue;
      state.dirty = false;
      writer.stage(snapshot(state));
    }
    writer.writeUnsaved();
  }
  const timer = setInterval(checkpoint, options.checkpointMs ?? 5_000);
  timer.unref?.();

  function begin(start: {
    provider: string;
    kind: RunKind;
    trigger: RunTrigger;
    detail?: Record<string, unknown>;
  }): RunHandle {
    const tally = emptyTally();
    const run: Run = {
      id: randomUUID(),
      provider: start.provider,
      kind: start.kind,
      trigger: start.trigger,
      startedAt: new Date(now()).toISOString(),
      endedAt: null,
      outcome: "running",
      error: null,
      detail: start.detail ?? {},
      ...tally,
    };
    const state: RunState = { run, tally, ended: false, dirty: false, waiters: new Set() };
    open.set(run.id, state);
    byTally.set(tally, state);
    if (start.kind !== "poll") writer.save(snapshot(state));
    return {
      id: run.id,
      provider: run.provider,
      kind: run.kind,
      tally,
      get detail() {
        return state.run.detail;
      },
      set detail(value) {
        state.run.detail = value;
        state.dirty = true;
      },
      end(outcome, error) {
        if (state.ended) return;
        state.ended = true;
        state.run.outcome = outcome;
        state.run.endedAt = new Date(now()).toISOString();
        state.run.error = error ?? null;
        state.dirty = true;
        settleIfDone(state);
      },
      settled(signal) {
        if (state.tally.pending === 0 || signal?.aborted) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const done = () => {
            state.waiters.delete(done);
            resolve();
          };
          state.waiters.add(done);
          signal?.addEventListener("abort", done, { once: true });
        });
      },
      view: () => snapshot(state),
    };
  }

  /** Credits an accepted record to the run whose tally counted it. */
  function claim(tick: Tick, tally: RunTally) {
    const state = byTally.get(tally);
    tally.accepted += 1;
    if (!state) return;
    tally.pending += 1;
    state.dirty = true;
    owners.set(tick, state);
  }

  function release(ticks: readonly Tick[], credit: (tally: RunTally) => void) {
    const touched = new Set<RunState>();
    for (const tick of ticks) {
      const state = owners.get(tick);
      if (!state) continue;
      owners.delete(tick);
      credit(state.tally);
      state.tally.pending -= 1;
      state.dirty = true;
      touched.add(state);
    }
    for (const state of touched) settleIfDone(state);
  }

  return {
    begin,
    claim,
    /** The producer took these records. */
    forwarded: (ticks: readonly Tick[]) =>
      release(ticks, (tally) => {
        tally.forwarded += 1;
      }),
    /** The producer refused these records for good. */
    refused: (ticks: readonly Tick[], reason: string) =>
      release(ticks, (tally) => addTo(tally.refused, reason)),
    /** At shutdown: what is still buffered will not reach the producer. */
    dropPending() {
      for (const state of [...open.values()]) {
        state.tally.dropped += state.tally.pending;
        state.tally.pending = 0;
        state.dirty = true;
        settleIfDone(state);
      }
    },
    /** Runs not final yet (working, or waiting for their records to be delivered). */
    open: (): Run[] => [...open.values()].map(snapshot),
    /**
     * Runs of `query.provider` started in [from, to), newest first: the store's, with the open
     * runs' current counts on top (and the finished ones kept in memory if the store cannot be read).
     */
    async list(query: RunQuery): Promise<{ runs: Run[]; storeError: string | null }> {
      const inRange = (run: Run) => {
        const at = Date.parse(run.startedAt);
        return run.provider === query.provider && at >= query.fromMs && at < query.toMs;
      };
      const merged = new Map<string, Run>();
      let storeError: string | null = null;
      try {
        for (const run of await store.list(query)) merged.set(run.id, run);
      } catch (error) {
        storeError = (error as Error).message;
        for (const run of finished) if (inRange(run)) merged.set(run.id, run);
      }
      for (const run of writer.unsaved()) if (inRange(run)) merged.set(run.id, run);
      for (const state of open.values())
        if (inRange(state.run)) merged.set(state.run.id, snapshot(state));
      const runs = [...merged.values()]
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.id.localeCompare(b.id))
        .slice(0, query.limit);
      return { runs, storeError };
    },
    /**
     * Writes everything not yet stored; resolves when the store answered, failed, or `timeoutMs`
     * passed (at shutdown a store that is down must not hold the process).
     */
    async flush(timeoutMs = 5_000): Promise<void> {
      checkpoint();
      await writer.settled(timeoutMs);
    },
    close() {
      clearInterval(timer);
    },
    view() {
      const { stored, unsaved, saveFailures, lastSaveError } = writer.view();
      return { open: open.size, stored, unsaved, saveFailures, lastSaveError };
    },
  };
}

export type RunLedger = ReturnType<typeof createRunLedger>;
