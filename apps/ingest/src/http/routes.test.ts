import { describe, expect, test } from "bun:test";
import { parseBearerTokens } from "@repo/platform/tokens";
import { createIngestApp } from "../app.ts";
import { createBackfillManager } from "../control/backfills.ts";
import { calendarAhead } from "../control/calendar.ts";
import { createProviderControl } from "../control/providers.ts";
import type { AlpacaHistory } from "../providers/alpaca-history.ts";
import { createReadiness } from "../readiness.ts";
import { createRunLedger } from "../runs/ledger.ts";
import { createSchedule } from "../schedule/scheduler.ts";
import { memoryStorage } from "../storage/storage.ts";
import { ingestHarness } from "../testing/ingest.ts";

const TOKEN = "ops-token-0123456789abcdef";
let apps = 0;

/** Ingest's app over memory storage, a simulator-like provider and no Alpaca keys unless asked. */
function ingestApp(options: { tokens?: string; alpaca?: boolean } = {}) {
  const { ingest, buffer, stats, log } = ingestHarness();
  const storage = memoryStorage();
  const ledger = createRunLedger({ store: storage.runs, log, checkpointMs: 60_000 });
  const provider = { name: "simulator", poll: async () => ({ ticks: [], malformed: [] }) };
  apps += 1;
  const schedule = createSchedule({
    name: `routes-test-${apps}`,
    cron: "0 0 1 1 *",
    timezone: "America/New_York",
    regularHoursOnly: false,
    log,
    run: async () => undefined,
  });
  const providers = createProviderControl({
    polled: [{ provider, schedule }],
    streams: [],
    store: storage.providers,
    log,
  });
  const backfills = createBackfillManager({
    historyFor: () => (options.alpaca ? ({} as AlpacaHistory) : undefined),
    sink: ingest.sinkFor("alpaca"),
    buffer,
    stats,
    store: storage.backfills,
    ratePerMinute: 200,
    forwarding: () => undefined,
    log,
  });
  const app = createIngestApp({
    log,
    ingest,
    polled: [{ provider, schedule: schedule.view }],
    streams: [],
    readiness: createReadiness({ producerUrl: "http://127.0.0.1:9" }).round,
    maxBodyBytes: 4_096,
    control: {
      ledger,
      providers,
      backfills,
      operatorTokens: parseBearerTokens(options.tokens ?? "").tokens,
    },
  });
  const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return { app, post, ledger };
}

describe("ingest's HTTP API", () => {
  test("a backfill request names each invalid field and its reason (400), and a dry run plans without fetching", async () => {
    const { post } = ingestApp({ alpaca: true });
    const bad = await post("/backfills", {
      provider: "finnhub",
      symbols: ["AAPL", "not a ticker"],
      from: "2026-11-31",
      to: "yesterday",
    });
    expect(bad.status).toBe(400);
    const issues = ((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues;
    expect([...new Set(issues.map((issue) => issue.path))].sort()).toEqual([
      "from",
      "provider",
      "symbols[1]",
      "to",
    ]);
    const dry = await post("/backfills", {
      provider: "alpaca",
      symbols: ["aapl", "MSFT"],
      from: "2026-11-23",
      to: "2026-11-30",
      kinds: ["trades"],
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    // Thanksgiving (26th) is closed and the 27th closes early: 3 full sessions + 1, no weekend.
    expect(((await dry.json()) as { plan: unknown }).plan).toMatchObject({
      sessions: 4,
      closedDays: 3,
      units: 4,
      requests: { min: 4, estimate: 16 },
      ratePerMinute: 200,
      seconds: { min: 2, estimate: 5 },
      firstSession: "2026-11-23",
      lastSession: "2026-11-27",
    });
  });

  test("without Alpaca keys a backfill is 409 naming the variables", async () => {
    const { post } = ingestApp();
    const refused = await post("/backfills", {
      provider: "alpaca",
      symbols: ["AAPL"],
      from: "2026-11-23",
      to: "2026-11-24",
      dryRun: true,
    });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("ALPACA_API_KEY_ID");
  });

  test("runs: a range longer than 31 days, a reversed one and a limit of 0 are 400 naming the field", async () => {
    const { app } = ingestApp();
    const long = await app.request(
      "/runs?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&provider=simulator",
    );
    expect(long.status).toBe(400);
    expect(await long.json()).toMatchObject({
      error: { code: "invalid_request", issues: [{ path: "from" }] },
    });
    const reversed = await app.request("/runs?from=2026-03-01T00:00:00Z&to=2026-01-01T00:00:00Z");
    expect(reversed.status).toBe(400);
    const zero = await app.request("/runs?limit=0");
    expect(zero.status).toBe(400);
    expect(await zero.json()).toMatchObject({ error: { issues: [{ path: "limit" }] } });
  });

  test("with operator tokens an action needs one (401 with a challenge); reads stay open", async () => {
    const { app, post } = ingestApp({ tokens: `ops:${TOKEN}` });
    const refused = await post("/providers/simulator/pause");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain("Bearer");
    const wrong = await post("/providers/simulator/pause", undefined, {
      authorization: "Bearer not-the-token-0123456789",
    });
    expect(wrong.status).toBe(401);
    const allowed = await post("/providers/simulator/pause", undefined, {
      authorization: `Bearer ${TOKEN}`,
    });
    expect(await allowed.json()).toMatchObject({ paused: true, pausedBy: "ops" });
    expect((await app.request("/providers")).status).toBe(200);
    expect((await app.request("/runs")).status).toBe(200);
  });

  test("an oversized backfill body is 413 before it is parsed", async () => {
    const { post } = ingestApp({ alpaca: true });
    const symbols = Array.from({ length: 2_000 }, (_, n) => `S${n}`);
    const answer = await post("/backfills", {
      provider: "alpaca",
      symbols,
      from: "2026-11-23",
      to: "2026-11-24",
    });
    expect(answer.status).toBe(413);
  });
});

describe("calendar ahead", () => {
  test("names the early close and the holiday of Christmas week, and whether the session is open", () => {
    const week = calendarAhead(new Date("2026-12-23T15:00:00Z"), 7);
    expect(week.open).toBe(true);
    expect(week.earlyCloses).toEqual([{ date: "2026-12-24", name: "Christmas Eve" }]);
    expect(week.holidays.map((h) => h.date)).toEqual(["2026-12-25"]);
    expect(week.sessions.map((s) => [s.date, s.earlyClose])).toEqual([
      ["2026-12-23", false],
      ["2026-12-24", true],
      ["2026-12-28", false],
      ["2026-12-29", false],
    ]);
  });
});
