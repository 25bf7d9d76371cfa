/**
 * The bench's tick mix, shared by the Bun bench and the Node ceiling writer: 300 symbols with a
 * Zipf-like share of the flow (SYM000–SYM002 hot, most quiet), 1 quote in 4, a fixed seed.
 */
import type { Tick } from "@repo/contracts";
import { exampleTick } from "@repo/contracts/examples";

/** Symbol i's share of the flow: Zipf-like, so SYM000–SYM002 are hot and most are quiet. */
export const SYMBOLS = 300;
const weights = Array.from({ length: SYMBOLS }, (_, i) => 1 / (i + 1) ** 1.1);
const cumulative = weights.map(
  (
    (sum) => (w) =>
      (sum += w)
  )(0),
);
const weightTotal = cumulative.at(-1) as number;

/**
 * `count` ticks of the mix from `startUs`, spread evenly over `spanUs`, sequences from 0.
 *
 * @example
 *   for (const tick of mixedTicks(100_000, startUs, 10 * 60_000_000, "bench")) chunk.push(tick);
 */
export function* mixedTicks(count: number, startUs: number, spanUs: number, source: string) {
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  for (let i = 0; i < count; i += 1) {
    const pick = random() * weightTotal;
    let s = cumulative.findIndex((c) => c >= pick);
    if (s < 0) s = SYMBOLS - 1;
    const quote = i % 4 === 3;
    const price = (50 + s + random()).toFixed(4);
    const eventTime = startUs + Math.floor((i / count) * spanUs);
    yield {
      ...exampleTick,
      source,
      symbol: `SYM${String(s).padStart(3, "0")}`,
      kind: quote ? "QUOTE" : "TRADE",
      eventTime,
      sequence: i,
      price,
      size: quote ? 0 : 1 + Math.floor(random() * 500),
      bid: quote ? (Number(price) - 0.01).toFixed(4) : null,
      ask: quote ? (Number(price) + 0.01).toFixed(4) : null,
      bidSize: quote ? 100 : null,
      askSize: quote ? 200 : null,
      ingestTime: eventTime + 1000,
    } satisfies Tick;
  }
}
