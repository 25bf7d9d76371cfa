/**
 * The dashboard's Kafka console in a real headless Chromium against the real pipeline: topics with
 * moving offsets, a group's lag, an undecodable record in hex with its reason, a dead letter
 * redriven from the page (dry run, then confirm) and stored, a schema diff; no console error.
 * Screenshots of each view are kept in the test results.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { avroTypeOf, tickFromJson, toWire } from "@repo/contracts";
import { eventually, produceRaw, registryRequest, testResultsDir } from "@repo/testkit";
import type { BrowserContext, Page } from "playwright-core";
import { partitionForKey } from "../src/kafka/partitioner.ts";
import {
  type ApiPipeline,
  collectPageProblems,
  iso,
  launchChromium,
  marketTicks,
  startApiPipeline,
} from "./support.ts";

const resultsDir = testResultsDir;
const MINUTE_MS = 60_000;
const NOW = Date.now();
const SYMBOLS = ["AAPL", "MSFT", "NVDA"];
const history = marketTicks({
  symbols: SYMBOLS,
  fromMs: NOW - 8 * MINUTE_MS,
  toMs: NOW - 2 * MINUTE_MS,
  stepMs: 20_000,
  source: "console-dashboard",
  seed: 5,
});

let run: ApiPipeline;
let browser: BrowserContext;
let profile: string;
let page: Page;
let ticksTopic: string;
let poisonOffset: number;
const problems: string[] = [];
const importSubject = () => `${run.pipeline.prefix}import-value`;

const shot = (name: string) =>
  page.screenshot({ path: join(resultsDir, `console-${name}.png`), fullPage: true });

beforeAll(async () => {
  run = await startApiPipeline("condash");
  ticksTopic = `${run.pipeline.prefix}market.ticks`;
  await run.post(history);
  await run.stored(history.length);

  // A record no decoder can read, and a tick whose schema id the registry does not know yet.
  const ends = await fetch(`${run.api.url}/v1/kafka/topics?prefix=${run.pipeline.prefix}`).then(
    (r) => r.json() as Promise<{ topics: { name: string; partitions: { latest: number }[] }[] }>,
  );
  poisonOffset = ends.topics.find((t) => t.name === ticksTopic)?.partitions[0]?.latest ?? 0;
  await produceRaw(ticksTopic, [
    { key: "AAPL", value: Buffer.from("not avro at all"), partition: 0 },
  ]);
  const tickSchema = String(
    (
      await registryRequest(
        "GET",
        `/subjects/${run.pipeline.prefix}market.ticks-value/versions/latest`,
      )
    ).schema,
  );
  const probe = await registryRequest(
    "POST",
    `/subjects/${run.pipeline.prefix}probe-value/versions`,
    {
      schema: JSON.stringify({
        type: "record",
        name: `Probe${Date.now()}`,
        fields: [{ name: "a", type: "int" }],
      }),
    },
  );
  const unknownId = Number(probe.id) + 20 + Math.floor(Math.random() * 20);
  const eventTime = iso(NOW - 3 * MINUTE_MS);
  const parsed = tickFromJson({
    source: "console-dashboard",
    symbol: "REDRV",
    kind: "TRADE",
    eventTime,
    sequence: 1,
    price: "10.500000",
    size: 3,
    ingestTime: eventTime,
  });
  if (!parsed.ok) throw new Error("bad test tick");
  const body = avroTypeOf(JSON.parse(tickSchema)).toBuffer(parsed.value);
  await produceRaw(ticksTopic, [
    { key: "REDRV", value: toWire(unknownId, body), partition: partitionForKey("REDRV", 6) },
  ]);
  await eventually(
    async () => {
      const view = (await (await fetch(`${run.api.url}/v1/kafka/dlq`)).json()) as {
        deadLetters: { key: string }[];
      };
      return view.deadLetters.length >= 2 ? true : undefined;
    },
    { timeoutMs: 30_000, message: "the consumer did not dead-letter both records" },
  );
  // The cause is removed: the id becomes known (Confluent IMPORT mode).
  await registryRequest("PUT", `/mode/${importSubject()}?force=true`, { mode: "IMPORT" });
  await registryRequest("POST", `/subjects/${importSubject()}/versions`, {
    schema: tickSchema,
    id: unknownId,
  });
  // Two versions of a subject to diff.
  const demo = `${run.pipeline.prefix}diffdemo-value`;
  await registryRequest("PUT", `/config/${demo}`, { compatibility: "NONE" });
  await registryRequest("POST", `/subjects/${demo}/versions`, {
    schema: JSON.stringify({ type: "record", name: "Demo", fields: [{ name: "a", type: "int" }] }),
  });
  await registryRequest("POST", `/subjects/${demo}/versions`, {
    schema: JSON.stringify({
      type: "record",
      name: "Demo",
      fields: [
        { name: "a", type: "int" },
        { name: "b", type: ["null", "string"], default: null },
      ],
    }),
  });

  mkdirSync(resultsDir, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), "marketpipe-console-"));
  ({ browser, page } = await launchChromium(profile, { width: 1400, height: 1000 }));
  // This page runs without ingest, so the operations panel's routes answer 503
  // `ingest_unavailable` (correctly; ops-dashboard.test.ts checks that panel with ingest up). Every
  // other answer over 400 is a problem; Chromium's own "Failed to load resource" line for those
  // responses is judged by this response check instead.
  const ingestRoutes = /\/v1\/(runs|providers|streams|streaming-job|backfills|alerts\/firing)\b/;
  collectPageProblems(page, problems, {
    badResponse: (url) => !ingestRoutes.test(new URL(url).pathname),
  });
  // The run's id (its topics are `<id>.…`, its group `<id>-group`) filters topics, groups, subjects.
  await page.goto(`${run.api.url}/?view=topics&prefix=${run.pipeline.prefix.slice(0, -1)}`);
}, 240_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  if (profile) rmSync(profile, { recursive: true, force: true });
  await registryRequest("DELETE", `/mode/${importSubject()}`).catch(() => {});
  await run?.pipeline.close();
}, 60_000);

const attribute = (selector: string, name: string) =>
  page.locator(selector).first().getAttribute(name, { timeout: 30_000 });

describe("the Kafka console in headless Chromium", () => {
  test("topics are listed and their offsets move when ticks arrive", async () => {
    const rowOf = `#topics-table tr[data-topic="${ticksTopic}"]`;
    const before = Number(await attribute(rowOf, "data-latest"));
    expect(before).toBe(history.length + 2);
    await run.post(
      marketTicks({
        symbols: ["AMD"],
        fromMs: NOW - MINUTE_MS,
        toMs: NOW,
        stepMs: 10_000,
        source: "console-dashboard-2",
        seed: 9,
      }),
    );
    await eventually(
      async () => (Number(await attribute(rowOf, "data-latest")) === before + 6 ? true : undefined),
      {
        timeoutMs: 15_000,
        message: "the topic's latest offset did not move on the page",
      },
    );
    await shot("topics");
  });

  test("the pipeline's group shows its lag as the api reports it", async () => {
    await page.click('#console-tabs button[data-view="groups"]');
    const selector = `details.group[data-group="${run.pipeline.group}"]`;
    await page.waitForSelector(selector, { timeout: 15_000 });
    await run.stored(history.length + 6);
    const reported = await eventually(
      async () => {
        const answer = (await (
          await fetch(`${run.api.url}/v1/kafka/groups?group=${run.pipeline.group}`)
        ).json()) as { groups: { lag: { records: number }; partitions: unknown[] }[] };
        const shown = Number(await attribute(selector, "data-lag"));
        const rows = await page.locator(`${selector} tbody tr`).count();
        const group = answer.groups[0];
        return group?.lag.records === shown && shown === 0 && rows === group.partitions.length
          ? shown
          : undefined;
      },
      {
        timeoutMs: 15_000,
        message: "the page's lag never matched the api's 0 after the consumer caught up",
      },
    );
    expect(reported).toBe(0);
    expect(await page.locator(`${selector} tbody tr`).count()).toBeGreaterThan(0);
    await shot("groups");
  });

  test("an undecodable record is shown in hex with the reason", async () => {
    await page.click('#console-tabs button[data-view="messages"]');
    await page.waitForSelector("#messages-topic option", { state: "attached" });
    await page.selectOption("#messages-topic", ticksTopic);
    await page.fill("#messages-partition", "0");
    await page.fill("#messages-offset", String(poisonOffset));
    await page.fill("#messages-limit", "1");
    await page.click("#messages-read");
    const cell = page.locator(`#messages-table tr[data-offset="${poisonOffset}"]`);
    await cell.waitFor({ timeout: 15_000 });
    expect(await cell.getAttribute("data-encoding")).toBe("hex");
    const text = await cell.textContent();
    expect(text).toContain("not_wire_format");
    expect(text).toContain(Buffer.from("not avro at all").toString("hex"));
    await shot("messages");
  });

  test("the live tail shows a tick posted after it opened", async () => {
    await page.fill("#messages-partition", "");
    await page.fill("#messages-offset", "");
    await page.fill("#messages-symbol", "MSFT");
    await page.click("#messages-tail");
    await page.waitForSelector("#tail-summary");
    // The tail starts at the partition's end once its stream is open: post until a row shows.
    const shown = await eventually(
      async () => {
        await run.post(
          marketTicks({
            symbols: ["MSFT"],
            fromMs: Date.now() - 5_000,
            toMs: Date.now(),
            stepMs: 5_000,
            source: "console-tail",
            seed: 4,
          }),
        );
        const rows = await page.locator("#tail-table tbody tr").count();
        return rows > 0 ? rows : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 1_000, message: "the live tail showed no row" },
    );
    expect(shown).toBeGreaterThan(0);
    expect(await page.locator("#tail-table tbody tr").first().textContent()).toContain("MSFT");
    await shot("tail");
  });

  test("a dead letter is redriven from the page (dry run, then confirm) and stored", async () => {
    await page.click('#console-tabs button[data-view="dlq"]');
    const letter = page.locator('#dlq-table tr[data-key="REDRV"] input[type=checkbox]');
    await letter.waitFor({ timeout: 15_000 });
    await letter.check();
    await page.click("#dlq-dry-run");
    expect(await attribute("#dlq-plan-summary", "data-sendable")).toBe("1");
    await shot("dlq-dry-run");
    await page.click("#dlq-confirm");
    expect(await attribute("#dlq-sent", "data-sent")).toBe("1");
    const day = new Date(NOW - 3 * MINUTE_MS).toISOString().slice(0, 10);
    const rows = await eventually(
      async () => {
        const result = await run.pipeline.db.execute(
          "SELECT symbol, price FROM ticks WHERE symbol = ? AND day = ?",
          ["REDRV", day],
          { prepare: true },
        );
        return result.rows.length > 0 ? result.rows : undefined;
      },
      { timeoutMs: 30_000, message: "the redriven tick never reached Cassandra" },
    );
    expect(rows.map((r) => Number(String(r.price)))).toEqual([10.5]);
    await shot("dlq-redriven");
  });

  test("a schema diff is shown", async () => {
    await page.click('#console-tabs button[data-view="schemas"]');
    await page.waitForSelector("#schema-subject option", { state: "attached" });
    await page.selectOption("#schema-subject", `${run.pipeline.prefix}diffdemo-value`);
    await page.fill("#schema-a", "1");
    await page.fill("#schema-b", "2");
    await page.click("#schema-diff");
    const added = page.locator('#schema-changes li[data-change="added"]');
    await added.waitFor({ timeout: 15_000 });
    expect(await added.textContent()).toContain("b: added");
    expect(await page.locator("#schema-changes li").count()).toBe(1);
    await shot("schemas");
  });

  test("the page logged no error", () => {
    expect(problems).toEqual([]);
  });
});
