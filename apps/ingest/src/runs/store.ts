import type { Run } from "./run.ts";

/** Runs of one provider started in [fromMs, toMs), newest first, at most `limit`. */
export interface RunQuery {
  provider: string;
  fromMs: number;
  toMs: number;
  limit: number;
}

/** Where runs are kept: Cassandra's `ingest_runs` (see `storage/cassandra.ts`) or memory. */
export interface RunStore {
  /** Inserts or overwrites the run (same provider, start and id). */
  save(run: Run): Promise<void>;
  list(query: RunQuery): Promise<Run[]>;
}

/**
 * Runs in memory, the newest `capacity` per provider: for unit tests and `INGEST_STATE_STORE=memory`
 * (runs then end with the process).
 *
 * @example
 *   const store = memoryRunStore();
 *   await store.save(run);
 */
export function memoryRunStore(capacity = 10_000): RunStore {
  const byProvider = new Map<string, Map<string, Run>>();
  return {
    async save(run) {
      let runs = byProvider.get(run.provider);
      if (!runs) {
        runs = new Map();
        byProvider.set(run.provider, runs);
      }
      runs.set(run.id, structuredClone(run));
      if (runs.size > capacity) {
        const oldest = runs.keys().next().value;
        if (oldest !== undefined) runs.delete(oldest);
      }
    },
    async list(query) {
      const runs = [...(byProvider.get(query.provider)?.values() ?? [])].filter((run) => {
        const at = Date.parse(run.startedAt);
        return at >= query.fromMs && at < query.toMs;
      });
      return runs
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
        .slice(0, query.limit)
        .map((run) => structuredClone(run));
    },
  };
}
