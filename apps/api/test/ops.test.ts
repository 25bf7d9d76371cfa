/**
 * The operations routes against the real pipeline: ingest (simulator polled every second, and the
 * local Alpaca stand-in for backfills) keeping its runs in the test's keyspace, the producer,
 * Kafka and the consumer, and the api proxying ingest's HTTP API.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eventually, type RunningService } from "@repo/testkit";
import type { BackfillRecord } from "../../ingest/src/backfill/job.ts";
import type { Run } from "../../ingest/src/runs/run.ts";

import { type FakeAlpaca, startFakeAlpaca } from "../../ingest/src/testing/fake-alpaca.ts";
import { fakeAlpacaEnv } from "../../ingest/src/testing/fake-alpaca-env.ts";
import { pastSession } from "../../ingest/src/testing/past-session.ts";
import type { JobPointJson, ProvidersJson, StreamingJobJson } from "../src/http/ops-responses.ts";
import { type ApiPipeline, startApiPipeline } from "./support.ts";

let run: ApiPipeline;
let fake: FakeAlpaca;
let ingest: RunningService;

beforeAll(async () => {
  fake = startFakeAlpaca({ maxPage: 40 });
  run = await startApiPipeline("ops", { API_JOB_SAMPLE_MS: "500" });
  ingest = await run.startIngest({
    CASSANDRA_KEYSPACE: run.pipeline.keyspace,
    INGEST_PROVIDERS: "simulator",
    SIMULATOR_SYMBOLS: "MSFT,GOOG",
    SIMULATOR_RATE: "4",
    SIMULATOR_CRON: "* * * * * *",
    INGEST_LINGER_MS: "50",
    INGEST_RUNS_CHECKPOINT_MS: "300",
    ...fakeAlpacaEnv(fake, 300),
  });
}, 180_000);

afterAll(async () => {
  fake?.stop();
  await run?.pipeline.close();
}, 60_000);

const wait = <T>(check: () => Promise<T | undefined>, message: string, timeoutMs = 30_000) =>
  eventually(check, { timeoutMs, intervalMs: 200, message, diagnose: run.pipeline.diagnose });

async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown) {
  const response = await fetch(`${run.api.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

const runsSince = async (fromMs: number) =>
  (
    await api<{ runs: Run[] }>(
      "GET",
      `/v1/runs?provider=simulator&from=${new Date(fromMs).toISOString()}&limit=1000`,
    )
  ).body.runs;

describe("operations through the api on the real stack", () => {
  test("scheduled and triggered runs appear with their counts; pause stops runs, resume restarts them", async () => {
    const startedAt = Date.now() - 60_000;
    const scheduled = await wait(async () => {
      const runs = (await runsSince(startedAt)).filter(
        (r) => r.trigger === "schedule" && r.outcome === "ok" && r.pending === 0,
      );
      return runs.length >= 2 ? runs : undefined;
    }, "no scheduled run listed through /v1/runs");
    for (const r of scheduled)
      expect(r).toMatchObject({ kind: "poll", fetched: 4, accepted: 4, forwarded: 4, dropped: 0 });

    const providers = await api<ProvidersJson>("GET", "/v1/providers");
    expect(providers.status).toBe(200);
    const simulator = providers.body.providers.find((p) => p.name === "simulator");
    expect(simulator?.schedule).toMatchObject({ cron: "* * * * * *", paused: false });
    expect(providers.body.calendar.sessions.length).toBeGreaterThan(0);

    const triggered = await api<{ run: Run }>("POST", "/v1/providers/simulator/run");
    expect(triggered.status).toBe(200);
    expect(triggered.body.run).toMatchObject({ trigger: "manual", fetched: 4 });
    const manual = await wait(async () => {
      const found = (await runsSince(startedAt)).find((r) => r.id === triggered.body.run.id);
      return found?.pending === 0 ? found : undefined;
    }, "the triggered run was not listed with its records forwarded");
    expect(manual).toMatchObject({ outcome: "ok", accepted: 4, forwarded: 4, refused: {} });

    const paused = await api("POST", "/v1/providers/simulator/pause");
    expect(paused.body).toMatchObject({ name: "simulator", paused: true });
    const pausedAt = Date.now();
    const refused = await api<{ error: { code: string } }>("POST", "/v1/providers/simulator/run");
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("provider_paused");
    // Positive signal first: the streaming job saw three more readings of the consumer.
    const readings = async () =>
      (await api<StreamingJobJson>("GET", "/v1/streaming-job")).body.points.filter(
        (p) => Date.parse(p.at) > pausedAt + 2_000,
      );
    await wait(async () => ((await readings()).length >= 3 ? true : undefined), "no readings");
    expect((await runsSince(pausedAt)).filter((r) => Date.parse(r.startedAt) > pausedAt)).toEqual(
      [],
    );

    const resumed = await api("POST", "/v1/providers/simulator/resume");
    expect(resumed.body).toMatchObject({ paused: false });
    const resumedAt = Date.now();
    await wait(async () => {
      const later = (await runsSince(resumedAt)).filter((r) => r.trigger === "schedule");
      return later.length >= 2 ? true : undefined;
    }, "runs did not restart after resume");
  }, 60_000);

  test("the streaming job shows records in and written per second and batch quantiles", async () => {
    const points = await wait(async () => {
      const { body } = await api<StreamingJobJson>("GET", "/v1/streaming-job");
      const busy = body.points.filter((p: JobPointJson) => p.writtenPerSecond > 0);
      return busy.length >= 3 ? body : undefined;
    }, "no streaming-job point with writes");
    expect(points.consumer).toBe("up");
    const busy = points.points.filter((p) => p.writtenPerSecond > 0);
    // Consumed and written move at different moments of a batch: compare them over the hour.
    const sum = (pick: (p: JobPointJson) => number) =>
      points.points.reduce((n, p) => n + pick(p), 0);
    expect(sum((p) => p.recordsInPerSecond)).toBeGreaterThan(0);
    expect(busy.some((p) => p.batchP50Ms !== null && p.endToEndP99Ms !== null)).toBe(true);
    for (const p of points.points) expect(p.deadLettersPerSecond).toBe(0);
    expect(points.window).toContain("in the 60 s before each point");
  });

  test("a backfill: dry run, then for real with progress; a second one cancelled stops fetching", async () => {
    const { session, next } = pastSession();
    const at = session.open.getTime() + 2 * 3_600_000;
    fake.trades("NVDA", 400, at);
    const job = {
      provider: "alpaca",
      symbols: ["NVDA"],
      from: session.date,
      to: next,
      kinds: ["trades"],
    };

    const dry = await api<{ dryRun: boolean; plan: { sessions: number; units: number } }>(
      "POST",
      "/v1/backfills",
      job,
    );
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, plan: { sessions: 1, units: 1 } });
    expect(fake.historyRequests.length).toBe(0);

    const started = await api<{ backfill: BackfillRecord }>("POST", "/v1/backfills", {
      ...job,
      dryRun: false,
    });
    expect(started.status).toBe(202);
    const id = started.body.backfill.id;
    const seen: BackfillRecord[] = [];
    const done = await wait(async () => {
      const { body } = await api<{ backfill: BackfillRecord }>("GET", `/v1/backfills/${id}`);
      seen.push(body.backfill);
      return body.backfill.status === "done" ? body.backfill : undefined;
    }, "the backfill did not finish");
    expect(seen.some((b) => b.status === "running" && b.progress.pages > 0)).toBe(true);
    expect(done.progress).toMatchObject({ units: 1, unitsDone: 1, pages: 10, fetched: 400 });
    const listed = await api<{ backfills: BackfillRecord[] }>("GET", "/v1/backfills");
    expect(listed.body.backfills.map((b) => b.id)).toContain(id);

    fake.trades("TSLA", 2_000, at);
    const second = await api<{ backfill: BackfillRecord }>("POST", "/v1/backfills", {
      ...job,
      symbols: ["TSLA"],
      dryRun: false,
    });
    const secondId = second.body.backfill.id;
    await wait(async () => {
      const { body } = await api<{ backfill: BackfillRecord }>("GET", `/v1/backfills/${secondId}`);
      return body.backfill.progress.pages >= 2 ? true : undefined;
    }, "the second backfill did not start");
    const cancelled = await api<{ backfill: BackfillRecord }>(
      "DELETE",
      `/v1/backfills/${secondId}`,
    );
    expect(cancelled.status).toBe(200);
    // Cancelled while a page request was in flight too (the abort is the cancel, not a failure).
    expect(cancelled.body.backfill.status).toBe("cancelled");
    expect(cancelled.body.backfill.progress.pages).toBeLessThan(50);
    const requestsAtCancel = fake.historyRequests.length;
    const cancelledAt = Date.now();
    await wait(async () => {
      const later = (await runsSince(cancelledAt)).filter((r) => r.outcome === "ok");
      return later.length >= 3 ? true : undefined;
    }, "simulator did not keep polling");
    expect(fake.historyRequests.length).toBe(requestsAtCancel);
    const again = await api<{ error: { code: string } }>("DELETE", `/v1/backfills/${secondId}`);
    expect(again.status).toBe(409);
  }, 60_000);

  test("firing alerts are the stack's Prometheus' firing alerts", async () => {
    const names = (alerts: { labels: Record<string, string> }[]) =>
      alerts.map((a) => JSON.stringify(a.labels)).sort();
    // Read twice in a row until both agree (an alert may start or stop firing between the reads).
    await wait(
      async () => {
        const prometheus = (await (await fetch("http://127.0.0.1:9090/api/v1/alerts")).json()) as {
          data: { alerts: { labels: Record<string, string>; state: string }[] };
        };
        const firing = await api<{ alerts: { name: string; labels: Record<string, string> }[] }>(
          "GET",
          "/v1/alerts/firing",
        );
        expect(firing.status).toBe(200);
        const ours = names(firing.body.alerts);
        const theirs = names(prometheus.data.alerts.filter((a) => a.state === "firing"));
        return JSON.stringify(ours) === JSON.stringify(theirs) ? true : undefined;
      },
      "/v1/alerts/firing never matched Prometheus' firing alerts",
      10_000,
    );
  });

  test("ingest down: the routes answer 503 ingest_unavailable without its address", async () => {
    expect(await ingest.stop("SIGTERM", 20_000)).toBe(0);
    for (const path of ["/v1/runs", "/v1/providers", "/v1/streams", "/v1/backfills"]) {
      const response = await fetch(`${run.api.url}${path}`);
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text).error.code).toBe("ingest_unavailable");
      expect(text).not.toContain(new URL(ingest.url).port);
    }
    const action = await api<{ error: { code: string } }>("POST", "/v1/providers/simulator/pause");
    expect(action.status).toBe(503);
    expect(action.body.error.code).toBe("ingest_unavailable");
  }, 30_000);
});
