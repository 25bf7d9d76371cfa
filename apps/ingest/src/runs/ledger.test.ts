import { describe, expect, test } from "bun:test";
import type { Tick } from "@repo/contracts";
import { captureLog } from "../testing/capture-log.ts";
import { createRunLedger } from "./ledger.ts";
import type { Run } from "./run.ts";
import { memoryRunStore, type RunStore } from "./store.ts";

const tick = (n: number) => ({ symbol: "AAPL", sequence: n }) as unknown as Tick;
const range = { fromMs: 0, toMs: Date.now() + 60_000, limit: 100 };

describe("run ledger", () => {
  test("a run is stored as final once the producer took or refused every record it accepted", async () => {
    const store = memoryRunStore();
    const ledger = createRunLedger({ store, log: captureLog().log, checkpointMs: 60_000 });
    const run = ledger.begin({ provider: "simulator", kind: "poll", trigger: "manual" });
    const ticks = [tick(1), tick(2), tick(3)];
    run.tally.fetched += 4;
    for (const each of ticks) ledger.claim(each, run.tally);
    run.end("ok");
    await ledger.flush();
    // Written as it stands (ended, its records still on their way), and still open.
    expect(await store.list({ provider: "simulator", ...range })).toMatchObject([
      { id: run.id, outcome: "ok", accepted: 3, forwarded: 0, pending: 3 },
    ]);
    expect(ledger.open()).toHaveLength(1);

    ledger.forwarded([ticks[0] as Tick, ticks[1] as Tick]);
    ledger.refused([ticks[2] as Tick], "producer_rejected");
    await run.settled();
    await ledger.flush();
    const [stored] = await store.list({ provider: "simulator", ...range });
    expect(stored).toMatchObject({
      id: run.id,
      outcome: "ok",
      fetched: 4,
      accepted: 3,
      forwarded: 2,
      refused: { producer_rejected: 1 },
      pending: 0,
    });
    expect(ledger.open()).toEqual([]);
    ledger.close();
  });

  test("a store that fails keeps the run listed from memory and saves it at the next checkpoint", async () => {
    const saved: Run[] = [];
    let failing = true;
    const store: RunStore = {
      async save(run) {
        if (failing) throw new Error("NoHostAvailableError: all hosts tried");
        saved.push(run);
      },
      async list() {
        if (failing) throw new Error("NoHostAvailableError: all hosts tried");
        return saved;
      },
    };
    const captured = captureLog();
    const ledger = createRunLedger({ store, log: captured.log, checkpointMs: 60_000 });
    const run = ledger.begin({ provider: "alpaca", kind: "gap_recovery", trigger: "stream" });
    run.end("failed", "history answered 500");
    await ledger.flush();
    const listed = await ledger.list({ provider: "alpaca", ...range });
    expect(listed.storeError).toContain("NoHostAvailableError");
    expect(listed.runs.map((r) => [r.id, r.outcome, r.error])).toEqual([
      [run.id, "failed", "history answered 500"],
    ]);
    expect(ledger.view().unsaved).toBe(1);

    failing = false;
    await ledger.flush();
    expect(saved.at(-1)).toMatchObject({ id: run.id, outcome: "failed" });
    expect(ledger.view()).toMatchObject({ unsaved: 0, open: 0 });
    ledger.close();
  });

  test("at shutdown the records still buffered count as dropped and the run is final", async () => {
    const store = memoryRunStore();
    const ledger = createRunLedger({ store, log: captureLog().log, checkpointMs: 60_000 });
    const run = ledger.begin({ provider: "simulator", kind: "poll", trigger: "schedule" });
    ledger.claim(tick(1), run.tally);
    ledger.claim(tick(2), run.tally);
    run.end("ok");
    ledger.dropPending();
    await ledger.flush();
    const [stored] = await store.list({ provider: "simulator", ...range });
    expect(stored).toMatchObject({ accepted: 2, forwarded: 0, dropped: 2, pending: 0 });
    ledger.close();
  });

  test("while the store refuses writes, a round tries one write, not one per run; a store that hangs does not hold flush past its deadline", async () => {
    let attempts = 0;
    let mode: "refuse" | "hang" = "refuse";
    const store: RunStore = {
      save() {
        attempts += 1;
        if (mode === "hang") return new Promise<void>(() => {});
        return Promise.reject(new Error("Keyspace 'market' does not exist"));
      },
      list: async () => [],
    };
    const ledger = createRunLedger({ store, log: captureLog().log, checkpointMs: 60_000 });
    for (let i = 0; i < 200; i += 1) {
      ledger
        .begin({ provider: "simulator", kind: "stream_session", trigger: "schedule" })
        .end("ok");
    }
    await ledger.flush();
    // The first refusal stops the queue: the other runs wait for a checkpoint round, which stops
    // at its first refusal too.
    expect(attempts).toBeLessThanOrEqual(3);
    expect((await ledger.list({ provider: "simulator", ...range })).runs).toHaveLength(100);
    mode = "hang";
    const started = performance.now();
    await ledger.flush(200);
    expect(performance.now() - started).toBeLessThan(5_000);
    ledger.close();
  });
});
