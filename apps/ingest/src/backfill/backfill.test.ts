import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runCommand } from "@repo/testkit";
import { sessionsBetween } from "../schedule/calendar.ts";
import { startFakeAlpaca } from "../testing/fake-alpaca.ts";
import { barProgress } from "./progress.ts";
import { type BackfillState, defaultStatePath } from "./state.ts";

interface Received {
  source: string;
  symbol: string;
  kind: string;
  eventTime: string;
  sequence: number;
}

const dir = mkdtempSync(join(tmpdir(), "backfill-"));
const fake = startFakeAlpaca({ maxPage: 50 });
const received: Received[] = [];
const producer = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    if (request.method === "GET") return Response.json({ ready: true, checks: {} });
    const body = (await request.json()) as { records: { value: Received }[] };
    for (const record of body.records) received.push(record.value);
    return Response.json({ offsets: [] });
  },
});
afterAll(() => {
  fake.stop();
  producer.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

// The two most recent sessions before today, with a weekend or holiday between them when there is one.
const today = new Date().toISOString().slice(0, 10);
const recent = sessionsBetween(
  new Date(Date.now() - 12 * 86_400_000).toISOString().slice(0, 10),
  today,
);
const [first, second] = recent.slice(-2) as [(typeof recent)[number], (typeof recent)[number]];
const from = first.date;
const to = new Date(Date.parse(`${second.date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
const at = (session: typeof first) => session.open.getTime() + 3_600_000;
const aaplFirst = fake.trades("AAPL", 120, at(first));
const msftFirst = fake.trades("MSFT", 80, at(first));
fake.quotes("AAPL", 30, at(first));
const aaplSecond = fake.trades("AAPL", 40, at(second));
const allTrades = [...aaplFirst, ...msftFirst, ...aaplSecond].sort((a, b) => a - b);
const statePath = join(dir, "state.json");

async function backfill(...extra: string[]) {
  const { code, stdout, stderr } = await runCommand(
    [
      "bun",
      resolve(import.meta.dir, "cli.ts"),
      "--provider",
      "alpaca",
      "--symbols",
      "AAPL,MSFT",
      "--from",
      from,
      "--to",
      to,
      "--state",
      statePath,
      ...extra,
    ],
    {
      env: {
        ALPACA_API_KEY_ID: fake.keyId,
        ALPACA_API_SECRET_KEY: fake.secretKey,
        ALPACA_DATA_URL: fake.dataUrl,
        ALPACA_RATE_PER_MINUTE: "60000",
        PRODUCER_URL: `http://127.0.0.1:${producer.port}`,
        PROVIDER_RETRIES: "0",
        INGEST_LINGER_MS: "5",
      },
    },
  );
  const events = stdout
    .split("\n")
    .filter((line) => line.includes('"event"'))
    .map(
      (line) =>
        JSON.parse(line) as { event: string; detail?: string; unitsDone: number; units: number },
    );
  return { code, events, stdout, stderr };
}

const tradeIds = (records: Received[]) =>
  records
    .filter((r) => r.kind === "TRADE")
    .map((r) => r.sequence)
    .sort((a, b) => a - b);
const identities = (records: Received[]) =>
  records.map((r) => `${r.source}|${r.symbol}|${r.eventTime}|${r.sequence}`);

describe("backfill CLI against a local Alpaca history and a local producer", () => {
  test("fails mid-way when the history breaks, keeping its progress; the rerun resumes at the saved page token and loads every trade and quote exactly once", async () => {
    fake.failHistoryAfter(3);
    const broken = await backfill();
    expect(broken.code).toBe(1);
    expect(broken.events.at(-1)?.event).toBe("failed");
    expect(broken.events.at(-1)?.detail).toContain(statePath);
    const saved = JSON.parse(readFileSync(statePath, "utf8")) as BackfillState;
    const unit = saved.units[`${from}/trades`];
    expect(unit?.done).toBe(false);
    expect(unit?.pageToken).not.toBeNull();
    const deliveredBefore = received.length;
    expect(deliveredBefore).toBe((unit?.pages ?? 0) * 50);

    fake.failHistoryAfter(undefined);
    const requestsBefore = fake.historyRequests.length;
    const resumed = await backfill();
    expect(resumed.code).toBe(0);
    expect(fake.historyRequests[requestsBefore]?.searchParams.get("page_token")).toBe(
      unit?.pageToken ?? "missing",
    );
    expect(resumed.events.map((e) => e.event)).toContain("progress");
    expect(resumed.events.at(-1)).toMatchObject({ event: "done", unitsDone: 4, units: 4 });
    expect(tradeIds(received)).toEqual(allTrades);
    expect(received.filter((r) => r.kind === "QUOTE").length).toBe(30);
    expect(new Set(identities(received)).size).toBe(received.length);
  }, 30_000);

  test("a finished backfill run again fetches nothing; --restart loads it all again with the same identities", async () => {
    const requestsBefore = fake.historyRequests.length;
    const again = await backfill();
    expect(again.code).toBe(0);
    expect(fake.historyRequests.length).toBe(requestsBefore);
    const firstLoad = new Set(identities(received));
    const before = received.length;
    const restarted = await backfill("--restart");
    expect(restarted.code).toBe(0);
    const reloaded = received.slice(before);
    expect(reloaded.length).toBe(firstLoad.size);
    expect(identities(reloaded).every((identity) => firstLoad.has(identity))).toBe(true);
  }, 30_000);

  test("bad arguments exit 2 with the usage; Finnhub is refused with the reason", async () => {
    const finnhub = Bun.spawn(
      ["bun", resolve(import.meta.dir, "cli.ts"), "--provider", "finnhub", "--symbols", "AAPL"],
      { stdout: "pipe", stderr: "pipe" },
    );
    expect(await finnhub.exited).toBe(2);
    expect(await new Response(finnhub.stderr).text()).toContain("premium endpoint");
    const reversed = await backfill("--kinds", "bars");
    expect(reversed.code).toBe(2);
    expect(reversed.stderr).toContain("--kinds");
  });

  test("progress: the default state path follows XDG_STATE_HOME; on a terminal a bar is redrawn in place", () => {
    const job = {
      provider: "alpaca",
      feed: "iex",
      symbols: ["MSFT", "AAPL"],
      from,
      to,
      kinds: ["trades"],
    };
    const path = defaultStatePath(job, { XDG_STATE_HOME: "/state" });
    expect(path).toMatch(/^\/state\/marketpipe\/backfill\/alpaca-[0-9a-f]{12}\.json$/);
    expect(
      defaultStatePath({ ...job, symbols: ["AAPL", "MSFT"] }, { XDG_STATE_HOME: "/state" }),
    ).toBe(path);
    let screen = "";
    const bar = barProgress((text) => {
      screen += text;
    }, 120);
    const counts = { fetched: 10, forwarded: 5, rejected: 0, dropped: 0, ticksPerSecond: 5 };
    bar.report({
      event: "progress",
      unitsDone: 1,
      units: 4,
      unit: `${from}/trades`,
      page: 2,
      ...counts,
    });
    bar.report({ event: "progress", unitsDone: 2, units: 4, ...counts });
    bar.close();
    expect(screen.split("\r\x1b[2K").length).toBe(3);
    expect(screen).toContain("50%");
  });
});
