import { type Tick, tickDefaults } from "@repo/contracts";
import { seededRandom } from "@repo/platform/random";
import type { PollResult, Provider } from "./provider.ts";

export interface SimulatorOptions {
  seed: number;
  symbols: string[];
  /** Ticks generated per poll, spread round-robin over the symbols. */
  ticksPerPoll: number;
  /** Total ticks to emit before going quiet (0 = no limit), for reproducible load tests. */
  limit?: number;
  /** Clock in microseconds since the epoch (injectable for deterministic tests). */
  nowMicros?: () => number;
}

interface SymbolState {
  /** Last price in hundredths of a cent (4 decimals), kept integral so decimals are exact. */
  priceUnits: number;
  sequence: number;
}

const UNITS = 10_000;

/**
 * A deterministic market: each symbol's price follows a random walk; ticks alternate between
 * trades and quotes with a bid/ask spread; sequences rise by one per symbol.
 *
 * @example
 *   const simulator = createSimulator({ seed: 7, symbols: ["AAPL"], ticksPerPoll: 10 });
 *   const { ticks } = await simulator.poll();
 */
export function createSimulator(
  options: SimulatorOptions,
): Provider & { next(count: number): Tick[] } {
  const random = seededRandom(options.seed);
  const nowMicros = options.nowMicros ?? (() => Date.now() * 1000);
  const states = new Map<string, SymbolState>();
  for (const symbol of options.symbols) {
    states.set(symbol, { priceUnits: Math.round((20 + random() * 480) * UNITS), sequence: 0 });
  }
  let cursor = 0;
  let lastMicros = 0;
  let emitted = 0;

  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const text = (units: number) => (units / UNITS).toFixed(4).replace(/\.?0+$/, "");

  function next(count: number): Tick[] {
    const ticks: Tick[] = [];
    const base = Math.max(nowMicros(), lastMicros + 1);
    for (let i = 0; i < count; i += 1) {
      const symbol = options.symbols[cursor % options.symbols.length] as string;
      cursor += 1;
      const state = states.get(symbol) as SymbolState;
      const step = Math.round(state.priceUnits * (random() - 0.5) * 0.002);
      state.priceUnits = Math.max(UNITS, state.priceUnits + step);
      state.sequence += 1;
      const eventTime = base + i;
      lastMicros = eventTime;
      const common = {
        ...tickDefaults,
        source: "simulator",
        symbol,
        eventTime,
        sequence: state.sequence,
        exchange: "XSIM",
        ingestTime: eventTime,
      };
      if (random() < 0.5) {
        ticks.push({
          ...common,
          kind: "TRADE",
          price: text(state.priceUnits),
          size: between(1, 50) * 10,
        });
      } else {
        const halfSpread = between(1, 25) * 100;
        ticks.push({
          ...common,
          kind: "QUOTE",
          price: text(state.priceUnits),
          size: 0,
          bid: text(state.priceUnits - halfSpread),
          ask: text(state.priceUnits + halfSpread),
          bidSize: between(1, 20) * 100,
          askSize: between(1, 20) * 100,
        });
      }
    }
    return ticks;
  }

  return {
    name: "simulator",
    next,
    async poll(): Promise<PollResult> {
      const remaining = options.limit ? options.limit - emitted : options.ticksPerPoll;
      const count = Math.max(0, Math.min(options.ticksPerPoll, remaining));
      emitted += count;
      return { ticks: next(count), malformed: [] };
    },
  };
}
