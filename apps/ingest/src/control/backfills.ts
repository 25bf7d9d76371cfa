import { randomUUID } from "node:crypto";
import { ApiError, echo } from "@repo/platform/http";
import { type BackfillRecord, type BackfillStatus, planBackfill } from "../backfill/job.ts";
import type { BackfillStore } from "../storage/storage.ts";
import { type BackfillRunOptions, executeBackfill, type RunningBackfill } from "./backfill-run.ts";

/** What `POST /backfills` asks for (validated by the route). */
export interface BackfillRequest {
  provider: "alpaca";
  symbols: string[];
  from: string;
  to: string;
  kinds: ("trades" | "quotes")[];
}

export interface BackfillManagerOptions extends BackfillRunOptions {
  store: BackfillStore;
  /** The account's REST budget per minute, shared with polling and gap recovery. */
  ratePerMinute: number;
}

const ACTIVE: readonly BackfillStatus[] = ["queued", "running"];

/**
 * Backfills run inside ingest, one at a time, through the live pipeline: planned by a dry run,
 * started as a job stored with its per-unit progress (`ingest_backfills`), each start or resume a
 * `backfill` run, cancellable, and resumed from its saved page tokens after a restart.
 *
 * @example
 *   const backfills = createBackfillManager({ historyFor, sink: ingest.sinkFor("alpaca", "manual"), buffer, stats, store, ratePerMinute: 200, forwarding, log });
 *   await backfills.resume();
 *   const job = await backfills.start({ provider: "alpaca", symbols: ["AAPL"], from: "2026-11-20", to: "2026-11-21", kinds: ["trades"] }, "alice");
 */
export function createBackfillManager(options: BackfillManagerOptions) {
  const { store, log } = options;
  const queue: string[] = [];
  const records = new Map<string, BackfillRecord>();
  let current: RunningBackfill | undefined;
  let loop: Promise<void> | undefined;
  let stopping = false;

  const plan = (request: BackfillRequest) =>
    planBackfill({ ...request, ratePerMinute: options.ratePerMinute });

  function check(request: BackfillRequest) {
    if (request.to <= request.from)
      throw new ApiError(400, "invalid_request", "to: must be after from (it is exclusive)", {
        issues: [{ path: "to", message: "must be after from (it is exclusive)" }],
      });
    if (!options.historyFor(request.kinds))
      throw new ApiError(
        409,
        "provider_not_configured",
        "alpaca history needs ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY in ingest's environment",
        { provider: request.provider },
      );
  }

  async function persist(record: BackfillRecord) {
    record.updatedAt = new Date().toISOString();
    records.set(record.id, record);
    await store.save(record);
  }

  async function start(request: BackfillRequest, by: string | null): Promise<BackfillRecord> {
    check(request);
    const at = new Date().toISOString();
    const planned = plan(request);
    const record: BackfillRecord = {
      id: randomUUID(),
      ...request,
      symbols: [...new Set(request.symbols)],
      status: "queued",
      createdAt: at,
      updatedAt: at,
      startedAt: null,
      endedAt: null,
      requestedBy: by,
      error: null,
      plan: planned,
      units: {},
      progress: {
        unitsDone: 0,
        units: planned.units,
        pages: 0,
        fetched: 0,
        accepted: 0,
        forwarded: 0,
        refused: 0,
        dropped: 0,
      },
      runs: [],
    };
    await persist(record);
    log.info({ backfill: record.id, by, ...request, plan: planned }, "backfill queued");
    enqueue(record.id);
    return structuredClone(record);
  }

  function enqueue(id: string) {
    if (!queue.includes(id)) queue.push(id);
    loop ??= drain().finally(() => {
      loop = undefined;
    });
  }

  async function drain() {
    while (!stopping) {
      const id = queue.shift();
      if (!id) return;
      const record = records.get(id);
      if (!record || !ACTIVE.includes(record.status)) continue;
      await executeBackfill(record, options, {
        persist,
        running: (now) => {
          current = now;
        },
      }).catch((error) =>
        log.error({ backfill: id, err: (error as Error).message }, "backfill bookkeeping failed"),
      );
    }
  }

  async function find(id: string): Promise<BackfillRecord> {
    const found = records.get(id) ?? (await store.get(id));
    if (!found) throw new ApiError(404, "unknown_backfill", `no backfill ${echo(id)}`);
    return found;
  }

  return {
    plan(request: BackfillRequest) {
      check(request);
      return plan(request);
    },
    start,
    async get(id: string) {
      return structuredClone(await find(id));
    },
    async list(): Promise<BackfillRecord[]> {
      const stored = await store.list();
      const merged = new Map(stored.map((record) => [record.id, record]));
      for (const record of records.values()) merged.set(record.id, record);
      return [...merged.values()]
        .map((record) => structuredClone(record))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    },
    /** Stops a queued or running backfill for good (409 once it ended). */
    async cancel(id: string, by: string | null): Promise<BackfillRecord> {
      const record = await find(id);
      if (!ACTIVE.includes(record.status))
        throw new ApiError(409, "backfill_ended", `backfill ${echo(id)} is ${record.status}`, {
          status: record.status,
        });
      records.set(record.id, record);
      if (current?.id === id) {
        current.cancelledBy = by;
        current.abort.abort();
        while (current?.id === id) await new Promise((resolve) => setTimeout(resolve, 20));
      } else {
        record.status = "cancelled";
        record.endedAt = new Date().toISOString();
        record.error = `cancelled by ${by ?? "an operator"}`;
        await persist(record);
      }
      return structuredClone(records.get(id) ?? record);
    },
    /** Queues the backfills a previous process left queued or running (throws while the store cannot be read). */
    async resume() {
      const active = (await store.list())
        .filter((record) => ACTIVE.includes(record.status))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      for (const record of active) {
        if (records.has(record.id)) continue;
        records.set(record.id, record);
        log.info(
          {
            backfill: record.id,
            unitsDone: record.progress.unitsDone,
            units: record.progress.units,
          },
          "resuming a backfill started before the restart",
        );
        enqueue(record.id);
      }
    },
    /** Interrupts the running backfill (it stays `running` in the store and resumes at the next start). */
    async stop() {
      stopping = true;
      current?.abort.abort();
      await loop;
    },
    view() {
      return { running: current?.id ?? null, queued: queue.length };
    },
  };
}

export type BackfillManager = ReturnType<typeof createBackfillManager>;
