#!/usr/bin/env bun
/**
 * The backfill bench's Alpaca stand-in, in its own process (seeded here, so its page scans do not
 * stall the bench's sampling): apps/ingest's fake-alpaca holding one past regular session of the
 * backfilled symbols. Prints one JSON line ({@link HeldHistory}: its URL, keys and what it holds)
 * and exits when its stdin closes. Started by `backfill.ts`.
 */
import { startFakeAlpaca } from "../../../apps/ingest/src/testing/fake-alpaca.ts";
import {
  backfillSymbols,
  config,
  type HeldHistory,
  session,
  sessionMinutes,
} from "./backfill-plan.ts";

const started = performance.now();
const fake = startFakeAlpaca();
const tpm = config.BENCH_BACKFILL_TRADES_PER_MINUTE;
const qpm = config.BENCH_BACKFILL_QUOTES_PER_MINUTE;
const held: HeldHistory["symbols"] = {};
for (const symbol of backfillSymbols) {
  for (let minute = 0; minute < sessionMinutes; minute += 1) {
    const startMs = session.open.getTime() + minute * 60_000;
    for (let k = 0; k < tpm; k += 1)
      fake.trades(symbol, 1, startMs + Math.floor((k * 60_000) / tpm));
    for (let k = 0; k < qpm; k += 1)
      fake.quotes(symbol, 1, startMs + Math.floor(((k + 0.5) * 60_000) / qpm));
  }
  const ids = fake.tradeIds(symbol);
  held[symbol] = {
    firstTradeId: ids[0] ?? 0,
    lastTradeId: ids.at(-1) ?? 0,
    quotes: fake.quoteCount(symbol),
  };
}
const history: HeldHistory = {
  dataUrl: fake.dataUrl,
  keyId: fake.keyId,
  secretKey: fake.secretKey,
  symbols: held,
  seedSeconds: (performance.now() - started) / 1000,
};
console.log(JSON.stringify(history));
// The parent holds our stdin: when it ends, for whatever reason, so do we.
for await (const _ of Bun.stdin.stream());
fake.stop();
process.exit(0);
