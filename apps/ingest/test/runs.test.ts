import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { describeServices, eventually, type RunningService, startService } from "@repo/testkit";
import type { BackfillPlan, BackfillRecord } from "../src/backfill/job.ts";
import type { Run } from "../src/runs/run.ts";
import type { IngestStats } from "../src/stats.ts";
import type { FakeAlpaca } from "../src/testing/fake-alpaca.ts";
import { fakeAlpacaEnv } from "../src/testing/fake-alpaca-env.ts";
import { pastSession } from "../src/testing/past-session.ts";
import { type AlpacaPipeline, startAlpacaPipeline, storedTradesAndQuotes } from "./harness.ts";

/**
 * Ingest's runs, operator actions and backfills on the real stack: ingest spawned as users run it,
 * its runs and state in a Cassandra keyspace of the test's own (migrated from cql/), the real
 * producer, Kafka and consumer behind it, and a local stand-in for Alpaca (`fake-alpaca.ts`).
 */

let run: AlpacaPipeline;
let services: RunningService[];
let fake: FakeAlpaca;
let producer: RunningService;

beforeAll(async () => {
  run = await startAlpacaPipeline("ingest_runs");
  ({ services, fake, producer } = run);
}, 240_000);

afterAll(() => run?.close(), 60_000);

const alpacaEnv = (ratePerMinute?: number) => fakeAlpacaEnv(fake, ratePerMinute);

const ingestEnv = (extra: Record<string, string>) => ({
  ...alpacaEnv(),
  PRODUCER_URL: producer.url,
  CASSANDRA_KEYSPACE: run.keyspace,
  INGEST_LINGER_MS: "50",
  INGEST_RUNS_CHECKPOINT_MS: "300",
  ...extra,
});

async function startIngest(extra: Record<string, string>) {
  const ingest = await startService("ingest", ingestEnv(extra), { waitFor: "readyz" });
  services.push(ingest);
  return ingest;
}

const wait = <T>(check: () => Promise<T | undefined>, message: string, timeoutMs = 60_000) =>
  eventually(check, {
    timeoutMs,
    intervalMs: 100,
    message,
    diagnose: () => describeServices(services),
  });

async function runsOf(ingest: RunningService, provider: string, fromMs = Date.now() - 3_600_000) {
  const answer = await ingest.json<{ runs: Run[]; storeError: string | null }>(
    `/runs?provider=${provider}&from=${new Date(fromMs).toISOString()}&limit=1000`,
  );
  expect(answer.storeError).toBeNull();
  return answer.runs;
}

/** An operator action as the api sends it (loopback, no tokens configured). */
async function act(ingest: RunningService, method: string, path: string, body?: unknown) {
  const response = await fetch(`${ingest.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const sum = (runs: Run[], count: (run: Run) => number) => runs.reduce((n, r) => n + count(r), 0);

describe("ingest runs and operator actions on the real stack", () => {
  test("scheduled and triggered polls are runs with counts that add up to /stats; pausing stops a provider's runs, resuming restarts them; a restarted ingest lists the earlier runs and keeps the pause", async () => {
    fake.trades("AAPL", 3);
    fake.quotes("AAPL", 2);
    const env = {
      INGEST_PROVIDERS: "simulator,alpaca",
      SIMULATOR_SYMBOLS: "MSFT,GOOG",
      SIMULATOR_RATE: "4",
      SIMULATOR_CRON: "* * * * * *",
      ALPACA_MODE: "poll",
      ALPACA_SYMBOLS: "AAPL",
      ALPACA_CRON: "* * * * * *",
      ALPACA_REGULAR_HOURS_ONLY: "false",
    };
    const startedAt = Date.now();
    let ingest = await startIngest(env);

    const scheduled = await wait(async () => {
      const runs = (await runsOf(ingest, "simulator", startedAt)).filter(
        (run) => run.trigger === "schedule" && run.outcome === "ok" && run.pending === 0,
      );
      return runs.length >= 2 ? runs : undefined;
    }, "no scheduled simulator run was stored");
    for (const run of scheduled)
      expect(run).toMatchObject({
        kind: "poll",
        fetched: 4,
        accepted: 4,
        forwarded: 4,
        dropped: 0,
      });

    const triggered = await act(ingest, "POST", "/providers/simulator/run");
    expect(triggered.status).toBe(200);
    const manual = triggered.body.run as Run;
    expect(manual).toMatchObject({ provider: "simulator", kind: "poll", trigger: "manual" });
    expect(manual.fetched).toBe(4);
    const delivered = await wait(async () => {
      const found = (await runsOf(ingest, "simulator", startedAt)).find((r) => r.id === manual.id);
      return found && found.pending === 0 ? found : undefined;
    }, "the triggered run did not appear with its records forwarded");
    expect(delivered).toMatchObject({ outcome: "ok", accepted: 4, forwarded: 4, refused: {} });

    // The Alpaca snapshot repeats the same latest trade and quote: refused by the duplicate gate.
    const alpacaRuns = await wait(async () => {
      const runs = await runsOf(ingest, "alpaca", startedAt);
      return runs.filter((r) => r.outcome === "ok").length >= 3 ? runs : undefined;
    }, "no alpaca poll runs");
    expect(sum(alpacaRuns, (r) => r.refused.duplicate ?? 0)).toBeGreaterThan(0);

    const paused = await act(ingest, "POST", "/providers/simulator/pause");
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ name: "simulator", paused: true, pausedBy: "loopback" });
    const pausedAt = Date.now();
    expect((await act(ingest, "POST", "/providers/simulator/run")).body).toMatchObject({
      error: { code: "provider_paused" },
    });
    // Positive signal first: the other provider ran three more times meanwhile.
    await wait(async () => {
      const later = (await runsOf(ingest, "alpaca", pausedAt)).filter(
        (r) => Date.parse(r.startedAt) > pausedAt && r.outcome !== "running",
      );
      return later.length >= 3 ? true : undefined;
    }, "alpaca did not keep running while simulator was paused");
    const whilePaused = (await runsOf(ingest, "simulator", pausedAt)).filter(
      (r) => Date.parse(r.startedAt) > pausedAt,
    );
    expect(whilePaused).toEqual([]);

    const resumed = await act(ingest, "POST", "/providers/simulator/resume");
    expect(resumed.body).toMatchObject({ paused: false });
    const resumedAt = Date.now();
    await wait(async () => {
      const later = (await runsOf(ingest, "simulator", resumedAt)).filter(
        (r) => r.trigger === "schedule" && Date.parse(r.startedAt) >= resumedAt - 5,
      );
      return later.length >= 2 ? true : undefined;
    }, "simulator runs did not restart after resume");

    // Both paused and settled: every record counted in /stats is in exactly one run.
    await act(ingest, "POST", "/providers/simulator/pause");
    await act(ingest, "POST", "/providers/alpaca/pause");
    const settled = await wait(async () => {
      const stats = await ingest.json<IngestStats>("/stats");
      const runs = [
        ...(await runsOf(ingest, "simulator", startedAt - 60_000)),
        ...(await runsOf(ingest, "alpaca", startedAt - 60_000)),
      ];
      const done =
        stats.buffer.size === 0 && runs.every((r) => r.outcome !== "running" && r.pending === 0);
      return done ? { stats, runs } : undefined;
    }, "runs did not settle");
    const { stats, runs } = settled;
    expect(sum(runs, (r) => r.forwarded)).toBe(stats.records.forwarded);
    expect(sum(runs, (r) => r.fetched)).toBe(stats.records.fetched);
    expect(sum(runs, (r) => r.refused.duplicate ?? 0)).toBe(stats.records.rejected.duplicate);
    expect(stats.polls).toBe(runs.length);
    const ids = runs.map((r) => r.id).sort();

    expect(await ingest.stop("SIGTERM", 20_000)).toBe(0);
    ingest = await startIngest(env);
    const relisted = [
      ...(await runsOf(ingest, "simulator", startedAt - 60_000)),
      ...(await runsOf(ingest, "alpaca", startedAt - 60_000)),
    ];
    expect(relisted.map((r) => r.id).sort()).toEqual(ids);
    const providers = await ingest.json<{ providers: { name: string; paused: boolean }[] }>(
      "/providers",
    );
    expect(providers.providers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "simulator", paused: true }),
        expect.objectContaining({ name: "alpaca", paused: true }),
      ]),
    );
    // Leave the providers as the next tests (same keyspace, so the same stored pauses) expect them.
    for (const provider of ["simulator", "alpaca"])
      expect((await act(ingest, "POST", `/providers/${provider}/resume`)).status).toBe(200);
    console.log(
      `runs: ${runs.length} polls (${scheduled.length}+ scheduled, 1 triggered) stored and listed again after a restart; ${stats.records.forwarded} forwarded records all credited to runs`,
    );
    expect(await ingest.stop("SIGTERM", 20_000)).toBe(0);
  }, 180_000);

  test("a backfill: the dry run plans it, the real one shows progress and stores each tick once; a second one cancelled stops fetching", async () => {
    const { session, next } = pastSession();
    const at = session.open.getTime() + 2 * 3_600_000;
    fake.trades("NVDA", 450, at);
    fake.quotes("NVDA", 120, at);
    // 5 requests a second: 15 pages take about 3 s, long enough to watch progress.
    const ingest = await startIngest({
      ...alpacaEnv(300),
      INGEST_PROVIDERS: "simulator",
      SIMULATOR_SYMBOLS: "MSFT",
      SIMULATOR_RATE: "1",
    });
    const job = { provider: "alpaca", symbols: ["NVDA"], from: session.date, to: next };

    const dry = await act(ingest, "POST", "/backfills", { ...job, dryRun: true });
    expect(dry.status).toBe(200);
    const plan = dry.body.plan as BackfillPlan;
    expect(plan).toMatchObject({ sessions: 1, units: 2, firstSession: session.date });
    expect(plan.requests.min).toBe(2);
    expect(plan.seconds.min).toBe(1);
    expect(fake.historyRequests.length).toBe(0);

    const bad = await act(ingest, "POST", "/backfills", { ...job, to: job.from });
    expect(bad.status).toBe(400);

    const started = await act(ingest, "POST", "/backfills", job);
    expect(started.status).toBe(202);
    const backfillId = (started.body.backfill as BackfillRecord).id;
    const seen: BackfillRecord[] = [];
    const done = await wait(async () => {
      const { backfill } = await ingest.json<{ backfill: BackfillRecord }>(
        `/backfills/${backfillId}`,
      );
      seen.push(backfill);
      return backfill.status === "done" ? backfill : undefined;
    }, "the backfill did not finish");
    const midway = seen.filter((b) => b.status === "running" && b.progress.pages > 0);
    expect(midway.length).toBeGreaterThan(0);
    expect(done.progress).toMatchObject({
      unitsDone: 2,
      units: 2,
      pages: 15,
      fetched: 570,
      forwarded: 570,
      refused: 0,
      dropped: 0,
    });
    // Waits for the rows themselves, not for "lag 0": the simulator keeps producing a tick a second,
    // and the consumer's lag sample (also once a second) can stay in phase with it for minutes.
    await wait(
      async () => {
        const rows = await storedTradesAndQuotes(run.db, "NVDA");
        return rows.trades.length >= 450 && rows.quotes >= 120 ? rows : undefined;
      },
      "not every NVDA trade and quote was stored",
      90_000,
    );
    const rows = await storedTradesAndQuotes(run.db, "NVDA");
    expect(rows.trades).toEqual(fake.tradeIds("NVDA"));
    expect(rows.quotes).toBe(120);
    const backfillRuns = (await runsOf(ingest, "alpaca")).filter((r) => r.kind === "backfill");
    expect(backfillRuns).toHaveLength(1);
    expect(backfillRuns[0]).toMatchObject({ outcome: "ok", forwarded: 570, trigger: "manual" });

    // A longer one (2,000 trades: 50 pages), cancelled once it is under way.
    fake.trades("TSLA", 2_000, at);
    const second = await act(ingest, "POST", "/backfills", {
      ...job,
      symbols: ["TSLA"],
      kinds: ["trades"],
    });
    const secondId = (second.body.backfill as BackfillRecord).id;
    await wait(async () => {
      const { backfill } = await ingest.json<{ backfill: BackfillRecord }>(
        `/backfills/${secondId}`,
      );
      return backfill.progress.pages >= 2 ? true : undefined;
    }, "the second backfill did not start");
    const cancelled = await act(ingest, "DELETE", `/backfills/${secondId}`);
    expect(cancelled.status).toBe(200);
    const record = cancelled.body.backfill as BackfillRecord;
    expect(record.status).toBe("cancelled");
    expect(record.progress.pages).toBeLessThan(50);
    const requestsAtCancel = fake.historyRequests.length;
    // Positive signal: three more simulator polls ran; the cancelled backfill fetched nothing more.
    const cancelledAt = Date.now();
    await wait(async () => {
      const later = (await runsOf(ingest, "simulator", cancelledAt)).filter(
        (r) => Date.parse(r.startedAt) > cancelledAt && r.outcome === "ok",
      );
      return later.length >= 3 ? true : undefined;
    }, "simulator did not keep polling");
    expect(fake.historyRequests.length).toBe(requestsAtCancel);
    expect((await act(ingest, "DELETE", `/backfills/${secondId}`)).status).toBe(409);
    const runs = (await runsOf(ingest, "alpaca")).filter((r) => r.kind === "backfill");
    expect(runs.find((r) => r.detail.backfill === secondId)).toMatchObject({
      outcome: "cancelled",
    });
    console.log(
      `backfill: dry run planned ${plan.units} units / ${plan.requests.min}+ requests; 570 ticks in 15 pages stored once; a second cancelled after ${record.progress.pages} of 50 pages`,
    );
    expect(await ingest.stop("SIGTERM", 20_000)).toBe(0);
  }, 180_000);

  test("a backfill interrupted by a restart resumes from its saved page and stores each tick once", async () => {
    const { session, next } = pastSession(20);
    const at = session.open.getTime() + 3 * 3_600_000;
    fake.trades("AMD", 800, at);
    const env = { ...alpacaEnv(240), INGEST_PROVIDERS: "simulator", SIMULATOR_SYMBOLS: "MSFT" };
    let ingest = await startIngest(env);
    const started = await act(ingest, "POST", "/backfills", {
      provider: "alpaca",
      symbols: ["AMD"],
      from: session.date,
      to: next,
      kinds: ["trades"],
    });
    const backfillId = (started.body.backfill as BackfillRecord).id;
    await wait(async () => {
      const { backfill } = await ingest.json<{ backfill: BackfillRecord }>(
        `/backfills/${backfillId}`,
      );
      return backfill.progress.pages >= 3 ? true : undefined;
    }, "the backfill did not get under way");
    expect(await ingest.stop("SIGTERM", 20_000)).toBe(0);
    const pagesBefore = fake.historyRequests.length;

    ingest = await startIngest(env);
    const done = await wait(async () => {
      const { backfill } = await ingest.json<{ backfill: BackfillRecord }>(
        `/backfills/${backfillId}`,
      );
      return backfill.status === "done" ? backfill : undefined;
    }, "the backfill did not resume and finish");
    expect(done.progress.pages).toBe(20);
    expect(done.runs).toHaveLength(2);
    // Resumed at the saved page: at most the one page in flight at the restart is fetched twice.
    expect(fake.historyRequests.length - pagesBefore).toBeLessThanOrEqual(20 - 3 + 1);
    await wait(
      async () => {
        const rows = await storedTradesAndQuotes(run.db, "AMD");
        return rows.trades.length >= 800 ? rows : undefined;
      },
      "not every AMD trade was stored",
      90_000,
    );
    expect((await storedTradesAndQuotes(run.db, "AMD")).trades).toEqual(fake.tradeIds("AMD"));
    expect(await ingest.stop("SIGTERM", 20_000)).toBe(0);
  }, 180_000);

  test("a stream dropped by the stand-in: /streams shows the reconnect and the recovered gap with its range; the sessions and the recovery are runs; pause disconnects it and resume reconnects it", async () => {
    const startedAt = Date.now();
    const ingest = await startIngest({
      INGEST_PROVIDERS: "alpaca",
      ALPACA_MODE: "stream",
      ALPACA_SYMBOLS: "META",
      ALPACA_REGULAR_HOURS_ONLY: "false",
      INGEST_STREAM_RECONNECT_MIN_MS: "50",
      INGEST_STREAM_RECONNECT_MAX_MS: "500",
      INGEST_GAP_OVERLAP_MS: "500",
    });
    fake.trades("META", 20);
    await wait(
      async () =>
        (await ingest.json<IngestStats>("/stats")).records.forwarded === 20 ? true : undefined,
      "the streamed trades were not forwarded",
    );
    const droppedAt = Date.now();
    fake.dropClients();
    fake.trades("META", 30);
    const view = await wait(async () => {
      const { streams } = await ingest.json<{ streams: StreamsAnswer[] }>("/streams");
      const alpaca = streams.find((s) => s.name === "alpaca");
      return alpaca?.gaps?.recovered === 1 && alpaca.state === "streaming" ? alpaca : undefined;
    }, "the gap was not recovered");
    expect(view.reconnects).toBe(1);
    expect(view.connections[0]).toMatchObject({ state: "streaming", reconnects: 1 });
    expect(view.gaps).toMatchObject({ detected: 1, recovered: 1, unrecovered: 0, pending: 0 });
    const gap = view.recentGaps[0] as { from: string; to: string; status: string };
    expect(gap.status).toBe("recovered");
    expect(Date.parse(gap.from)).toBeLessThanOrEqual(droppedAt);
    expect(Date.parse(gap.to)).toBeGreaterThan(Date.parse(gap.from));

    const runs = await wait(async () => {
      const all = await runsOf(ingest, "alpaca", startedAt);
      const recovery = all.find((r) => r.kind === "gap_recovery");
      return recovery && recovery.outcome === "ok" && recovery.pending === 0 ? all : undefined;
    }, "no gap recovery run");
    const recovery = runs.find((r) => r.kind === "gap_recovery") as Run;
    expect(recovery.forwarded).toBe(30);
    expect(recovery.detail).toMatchObject({ reason: "disconnect" });

    expect((await act(ingest, "POST", "/providers/alpaca/run")).body).toMatchObject({
      error: { code: "provider_streams" },
    });
    // Paused by an operator: disconnected on purpose, still ready; resumed: streaming again.
    const paused = await act(ingest, "POST", "/providers/alpaca/pause");
    expect(paused.body).toMatchObject({ name: "alpaca", mode: "stream", paused: true });
    await wait(
      async () => (fake.subscribedClients === 0 ? true : undefined),
      "the paused stream stayed connected",
    );
    const { streams } = await ingest.json<{ streams: StreamsAnswer[] }>("/streams");
    expect(streams[0]?.state).toBe("paused");
    expect((await fetch(`${ingest.url}/readyz`)).status).toBe(200);
    expect((await act(ingest, "POST", "/providers/alpaca/resume")).body).toMatchObject({
      paused: false,
    });
    await wait(
      async () => (fake.subscribedClients === 1 ? true : undefined),
      "the resumed stream did not subscribe again",
    );
    fake.trades("META", 5);
    await wait(
      async () =>
        (await ingest.json<IngestStats>("/stats")).records.forwarded === 55 ? true : undefined,
      "trades after the resume were not forwarded",
    );
    const sessions = await wait(async () => {
      const all = (await runsOf(ingest, "alpaca", startedAt)).filter(
        (r) => r.kind === "stream_session",
      );
      return all.length === 3 && all.some((r) => r.forwarded === 5) ? all : undefined;
    }, "the resumed session is not a run");
    expect(sessions.map((r) => r.outcome).sort()).toEqual(["cancelled", "failed", "running"]);
    expect(sessions.find((r) => r.outcome === "failed")?.error).toMatch(/closed/);
    expect(sessions.find((r) => r.outcome === "cancelled")?.error).toBe("paused by an operator");
    expect(sum(sessions, (r) => r.forwarded)).toBe(25);
    expect(await ingest.stop("SIGTERM", 20_000)).toBe(0);
  }, 120_000);

  test("operator actions: with INGEST_OPERATOR_TOKENS a missing token is 401 and the token's name is the pauser; an unknown provider is 404; a bad query is 400 naming the field", async () => {
    const token = "ops-token-0123456789abcdef";
    const ingest = await startIngest({
      INGEST_PROVIDERS: "simulator",
      INGEST_OPERATOR_TOKENS: `ops:${token}`,
    });
    expect((await act(ingest, "POST", "/providers/simulator/pause")).status).toBe(401);
    const authorised = await fetch(`${ingest.url}/providers/simulator/pause`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    });
    expect(authorised.status).toBe(200);
    expect(await authorised.json()).toMatchObject({ paused: true, pausedBy: "ops" });
    const unknown = await fetch(`${ingest.url}/providers/nope/run`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    });
    expect(unknown.status).toBe(404);
    const badQuery = await fetch(`${ingest.url}/runs?from=yesterday`);
    expect(badQuery.status).toBe(400);
    expect(await badQuery.json()).toMatchObject({
      error: { code: "invalid_request", issues: [{ path: "from" }] },
    });
    expect(await ingest.stop("SIGTERM", 20_000)).toBe(0);
  }, 60_000);
});

interface StreamsAnswer {
  name: string;
  state: string;
  reconnects: number;
  connections: { state: string; reconnects: number }[];
  gaps: { detected: number; recovered: number; unrecovered: number; pending: number } | null;
  recentGaps: unknown[];
}
