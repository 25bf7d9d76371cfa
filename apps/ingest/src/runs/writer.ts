import type { Logger } from "@repo/platform/log";
import type { Run } from "./run.ts";
import type { RunStore } from "./store.ts";

/** Runs whose save failed are kept this long at most for a retry (memory stays bounded). */
const MAX_UNSAVED = 10_000;

/**
 * Writes runs to the store in order, one write at a time, keeping each run's latest state until
 * the store took it. While the store refuses writes, queued saves wait for the next round
 * ({@link RunWriter.writeUnsaved}), which stops at the first refusal: one failed write per round.
 *
 * @example
 *   const writer = createRunWriter(store, log);
 *   writer.save(run);                 // queued now
 *   writer.stage(run); writer.writeUnsaved(); // at a checkpoint
 *   await writer.settled(800);        // at shutdown
 */
export function createRunWriter(store: RunStore, log: Logger) {
  const unsaved = new Map<string, Run>();
  let saveFailures = 0;
  let lastSaveError: string | null = null;
  let saved = 0;
  let writing: Promise<void> = Promise.resolve();
  /** Set while the store refuses writes: saves wait for the next checkpoint instead of queueing. */
  let storeFailing = false;

  /** Stores `run`'s latest state; false when the store refused it (the rest waits for a checkpoint). */
  async function persist(run: Run): Promise<boolean> {
    const latest = unsaved.get(run.id);
    if (!latest) return true;
    try {
      await store.save(latest);
      if (unsaved.get(run.id) === latest) unsaved.delete(run.id);
      saved += 1;
      lastSaveError = null;
      storeFailing = false;
      return true;
    } catch (error) {
      storeFailing = true;
      saveFailures += 1;
      const message = (error as Error).message;
      if (saveFailures <= 5 || saveFailures % 100 === 0)
        log.warn(
          { err: message, run: run.id, failures: saveFailures, unsaved: unsaved.size },
          "run not stored yet; retrying at the next checkpoint",
        );
      lastSaveError = message;
      return false;
    }
  }

  /** Every unsaved run in order, stopping at the first refusal: one failed write per round, not thousands. */
  async function persistUnsaved() {
    for (const run of [...unsaved.values()]) {
      if (!(await persist(run))) return;
    }
  }

  return {
    /** Queues a write of `run` (skipped while the store refuses: the next round retries it). */
    save(run: Run) {
      unsaved.set(run.id, run);
      if (unsaved.size > MAX_UNSAVED) {
        const oldest = unsaved.keys().next().value;
        if (oldest !== undefined) unsaved.delete(oldest);
      }
      writing = writing.then(async () => {
        if (!storeFailing) await persist(run);
      });
    },
    /** Records `run`'s latest state for the next {@link writeUnsaved} round. */
    stage(run: Run) {
      unsaved.set(run.id, run);
    },
    /** Queues a round writing every unsaved run. */
    writeUnsaved() {
      writing = writing.then(persistUnsaved);
    },
    /** Runs not stored yet, oldest first. */
    unsaved: () => unsaved.values(),
    /** Resolves when the queued writes are done, or after `timeoutMs`. */
    async settled(timeoutMs: number): Promise<void> {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([writing, deadline]);
      clearTimeout(timer);
    },
    view() {
      return { stored: saved, unsaved: unsaved.size, saveFailures, lastSaveError };
    },
  };
}

export type RunWriter = ReturnType<typeof createRunWriter>;
