import { describe, expect, test } from "bun:test";
import { validate } from "@repo/contracts";
import { createSimulator } from "./simulator.ts";

const clock = () => 1_767_623_400_000_000;
const symbols = ["AAPL", "MSFT", "BRK.B"];

describe("simulator", () => {
  test("the same seed yields the same ticks; another seed does not", () => {
    const a = createSimulator({ seed: 7, symbols, ticksPerPoll: 0, nowMicros: clock }).next(500);
    const b = createSimulator({ seed: 7, symbols, ticksPerPoll: 0, nowMicros: clock }).next(500);
    const c = createSimulator({ seed: 8, symbols, ticksPerPoll: 0, nowMicros: clock }).next(500);
    expect(a).toEqual(b);
    expect(a.map((t) => t.price)).not.toEqual(c.map((t) => t.price));
  });

  test("every tick passes the contract validator, with both trades and quotes", () => {
    const ticks = createSimulator({ seed: 1, symbols, ticksPerPoll: 0 }).next(5_000);
    const invalid = ticks.map((tick) => validate("Tick", tick)).filter((result) => !result.ok);
    expect(invalid).toEqual([]);
    expect(new Set(ticks.map((t) => t.kind))).toEqual(new Set(["TRADE", "QUOTE"]));
    for (const tick of ticks) {
      expect(tick.price).toMatch(/^\d+(\.\d{1,6})?$/);
      if (tick.kind === "QUOTE") expect(Number(tick.bid)).toBeLessThan(Number(tick.ask));
    }
  });

  test("sequences rise by one per symbol and event times never go back, across polls", async () => {
    const simulator = createSimulator({ seed: 3, symbols, ticksPerPoll: 250, nowMicros: clock });
    const ticks = [
      ...(await simulator.poll()).ticks,
      ...(await simulator.poll()).ticks,
    ] as ReturnType<typeof simulator.next>;
    for (const symbol of symbols) {
      const own = ticks.filter((t) => t.symbol === symbol);
      expect(own.map((t) => t.sequence)).toEqual(own.map((_, i) => i + 1));
    }
    const times = ticks.map((t) => t.eventTime);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(new Set(times).size).toBe(times.length);
  });

  test("thousands of ticks per poll for load tests", async () => {
    const simulator = createSimulator({ seed: 9, symbols, ticksPerPoll: 5_000 });
    const started = performance.now();
    const { ticks } = await simulator.poll();
    expect(ticks).toHaveLength(5_000);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

test("a simulator with a limit emits exactly that many ticks, then goes quiet", async () => {
  const simulator = createSimulator({ seed: 2, symbols: ["AAPL"], ticksPerPoll: 40, limit: 100 });
  const counts = [];
  for (let i = 0; i < 4; i += 1) counts.push((await simulator.poll()).ticks.length);
  expect(counts).toEqual([40, 40, 20, 0]);
});
