import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Tick, tickIdentity, tickToJson } from "@repo/contracts";
import { cleanupsAfterEach, sampleTick, until } from "@repo/testkit";
import { ingestHarness } from "../testing/ingest.ts";
import { createReplayProvider, splitCsv } from "./replay.ts";

const dir = mkdtempSync(join(tmpdir(), "replay-"));
const cleanups = cleanupsAfterEach();

/** Ticks recorded a week ago, `count` of them `stepMs` apart, alternating symbols. */
function recording(count: number, stepMs: number): Tick[] {
  const start = (Date.now() - 7 * 86_400_000) * 1000;
  return Array.from({ length: count }, (_, i) =>
    sampleTick({
      source: "recorded",
      symbol: i % 2 === 0 ? "AAPL" : "MSFT",
      eventTime: start + i * stepMs * 1000,
      sequence: i + 1,
      price: (187 + (i % 7) / 100).toFixed(2),
      size: 100,
      exchange: "V",
      ingestTime: start + i * stepMs * 1000 + 500,
    }),
  );
}

function write(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const harness = (capacity = 10_000) => ingestHarness({ capacity });

function replay(
  h: ReturnType<typeof harness>,
  file: string,
  options: { speed?: number; shiftTime?: boolean } = {},
) {
  const provider = createReplayProvider({
    file,
    speed: options.speed ?? 20,
    shiftTime: options.shiftTime ?? false,
    loop: false,
    log: h.log,
  });
  cleanups.push(() => provider.stop());
  provider.start(h.ingest.sinkFor("replay"));
  return provider;
}

const state = (provider: { view(): Record<string, unknown> }) => provider.view().state;

describe("replay provider", () => {
  test("replays an NDJSON recording at 20× its pace with the recorded identities; replaying it again stores nothing new", async () => {
    const ticks = recording(40, 50); // 1.95 s of recorded time
    const file = write(
      "ticks.ndjson",
      `${ticks.map((t) => JSON.stringify(tickToJson(t))).join("\n")}\n`,
    );
    const h = harness();
    const started = performance.now();
    const first = replay(h, file);
    await until(() => state(first) === "finished", "replay did not finish");
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_950 / 20 - 5);
    const replayed = h.buffer.peek(100);
    expect(replayed.map(tickIdentity).sort()).toEqual(ticks.map(tickIdentity).sort());
    const recordedIngest = ticks[0]?.ingestTime ?? 0;
    expect(replayed.every((t) => t.ingestTime > recordedIngest)).toBe(true);
    const second = replay(h, file, { speed: 0 });
    await until(() => state(second) === "finished", "second replay did not finish");
    expect(h.buffer.size).toBe(40);
    expect(h.stats.counter("records.rejected.duplicate").value).toBe(40);
    expect(first.view()).toMatchObject({ lines: 40, accepted: 40, malformed: 0 });
  });

  test("a CSV recording with a header replays the same; unreadable lines are counted with their line number", async () => {
    const ticks = recording(6, 10);
    const header =
      "source,symbol,kind,eventTime,sequence,price,size,bid,ask,bidSize,askSize,exchange";
    const rows = ticks.map((t) => {
      const j = tickToJson(t) as Record<string, unknown>;
      return [
        j.source,
        j.symbol,
        j.kind,
        j.eventTime,
        j.sequence,
        j.price,
        j.size,
        "",
        "",
        "",
        "",
        `"${j.exchange}"`,
      ].join(",");
    });
    rows.splice(3, 0, "recorded,AAPL,TRADE,not-a-time,9,1.00,1,,,,,V");
    const file = write("ticks.csv", `${header}\n${rows.join("\r\n")}\n`);
    const h = harness();
    const provider = replay(h, file, { speed: 0 });
    await until(() => state(provider) === "finished", "replay did not finish");
    expect(h.buffer.peek(10).map(tickIdentity).sort()).toEqual(ticks.map(tickIdentity).sort());
    expect(provider.view()).toMatchObject({ lines: 7, accepted: 6, malformed: 1 });
    expect(h.stats.counter("records.rejected.malformed_payload").value).toBe(1);
    expect(splitCsv('a,"b,c",""""')).toEqual(["a", "b,c", '"']);
  });

  test("shiftTime re-stamps the recording to now, keeping its spacing divided by the speed", async () => {
    const ticks = recording(5, 1_000);
    const file = write("shift.ndjson", ticks.map((t) => JSON.stringify(tickToJson(t))).join("\n"));
    const h = harness();
    const before = Date.now() * 1000;
    const provider = replay(h, file, { speed: 50, shiftTime: true });
    await until(() => state(provider) === "finished", "replay did not finish");
    const times = h.buffer
      .peek(10)
      .map((t) => t.eventTime)
      .sort((a, b) => a - b);
    expect(times[0]).toBeGreaterThanOrEqual(before);
    expect(times.slice(1).map((t, i) => t - (times[i] as number))).toEqual([
      20_000, 20_000, 20_000, 20_000,
    ]);
  });

  test("at full speed into a small buffer the replay waits for room and drops nothing", async () => {
    const ticks = recording(500, 1);
    const file = write("many.ndjson", ticks.map((t) => JSON.stringify(tickToJson(t))).join("\n"));
    const h = harness(50);
    const lane = h.buffer.lanes[0] as (typeof h.buffer.lanes)[number];
    let delivered = 0;
    const drain = setInterval(() => {
      delivered += lane.size;
      lane.remove(lane.size);
    }, 2);
    cleanups.push(() => clearInterval(drain));
    const provider = replay(h, file, { speed: 0 });
    await until(
      () => state(provider) === "finished" && h.buffer.size === 0,
      "replay did not finish",
    );
    expect(delivered).toBe(500);
    expect(h.stats.counter("records.dropped").value).toBe(0);
  });
});

process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
