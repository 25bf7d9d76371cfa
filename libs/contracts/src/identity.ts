import type { Tick } from "./generated/Tick.ts";

/**
 * The deterministic identity of a tick: `source|symbol|eventTime|sequence`
 * (e.g. `simulator|AAPL|1795703400123456|42`). Replays of the same event share it.
 * Neither `source` nor `symbol` may contain `|` (see SOURCE_PATTERN and SYMBOL_PATTERN).
 */
export function tickIdentity(
  tick: Pick<Tick, "source" | "symbol" | "eventTime" | "sequence">,
): string {
  return `${tick.source}|${tick.symbol}|${tick.eventTime}|${tick.sequence}`;
}
