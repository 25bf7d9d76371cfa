import type { BackfillRecord } from "../backfill/job.ts";
import { memoryRunStore, type RunStore } from "../runs/store.ts";

/** Backfill jobs started through the HTTP API, with their progress (resumed after a restart). */
export interface BackfillStore {
  save(record: BackfillRecord): Promise<void>;
  get(id: string): Promise<BackfillRecord | undefined>;
  list(): Promise<BackfillRecord[]>;
}

/** Whether an operator paused a provider. */
export interface ProviderState {
  provider: string;
  paused: boolean;
  changedAt: string;
  changedBy: string | null;
}

export interface ProviderStateStore {
  save(state: ProviderState): Promise<void>;
  list(): Promise<ProviderState[]>;
}

/** Ingest's own state: runs, backfill jobs and paused providers. */
export interface IngestStorage {
  kind: "cassandra" | "memory";
  runs: RunStore;
  backfills: BackfillStore;
  providers: ProviderStateStore;
  /** Connects (Cassandra); throws while the store cannot be reached. */
  connect(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Ingest's state in memory (`INGEST_STATE_STORE=memory`, unit tests): gone with the process.
 *
 * @example
 *   const storage = memoryStorage();
 *   await storage.providers.save({ provider: "simulator", paused: true, changedAt, changedBy: null });
 */
export function memoryStorage(): IngestStorage {
  const backfills = new Map<string, BackfillRecord>();
  const providers = new Map<string, ProviderState>();
  return {
    kind: "memory",
    runs: memoryRunStore(),
    backfills: {
      async save(record) {
        backfills.set(record.id, structuredClone(record));
      },
      async get(id) {
        const found = backfills.get(id);
        return found ? structuredClone(found) : undefined;
      },
      async list() {
        return [...backfills.values()].map((record) => structuredClone(record));
      },
    },
    providers: {
      async save(state) {
        providers.set(state.provider, { ...state });
      },
      async list() {
        return [...providers.values()].map((state) => ({ ...state }));
      },
    },
    async connect() {},
    async close() {},
  };
}
