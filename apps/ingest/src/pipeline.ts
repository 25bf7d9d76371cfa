import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";
import type { IngestConfig } from "./config.ts";
import { createTickBuffer } from "./forward/buffer.ts";
import { createForwarder } from "./forward/forwarder.ts";
import { createIngest } from "./ingest.ts";
import { createQualityGates } from "./quality/gates.ts";
import type { RunLedger } from "./runs/ledger.ts";
import { METRIC } from "./stats.ts";

/**
 * The path ticks take through ingest, live or backfilled, built from the configuration: quality
 * gates → bounded buffer → forwarder → producer, counted in `stats`. The caller starts the
 * forwarder and feeds `ingest` (polls, streams, history). With a `ledger`, every poll, stream
 * session, gap recovery and backfill is a run credited with what became of its records.
 *
 * @example
 *   const { ingest, forwarder, buffer } = createIngestPipeline(config, log, stats);
 *   forwarder.start();
 *   await ingest.poll(simulator);
 */
export function createIngestPipeline(
  config: IngestConfig,
  log: Logger,
  stats: Stats,
  options: { ledger?: RunLedger } = {},
) {
  const { ledger } = options;
  const buffer = createTickBuffer(config.INGEST_BUFFER_CAPACITY, config.INGEST_FORWARD_LANES);
  const forwarder = createForwarder({
    producerUrl: config.PRODUCER_URL,
    token: config.PRODUCER_TOKEN,
    buffer,
    log,
    batchSize: config.INGEST_BATCH_SIZE,
    lingerMs: config.INGEST_LINGER_MS,
    requestTimeoutMs: config.INGEST_FORWARD_TIMEOUT_MS,
    onForwarded: (count, ticks) => {
      stats.counter(METRIC.forwarded).add(count);
      ledger?.forwarded(ticks);
    },
    onRejected: (count, reason, ticks) => {
      stats.counter(METRIC.rejected(reason)).add(count);
      ledger?.refused(ticks, reason);
    },
  });
  const gates = createQualityGates({
    maxFutureMs: config.INGEST_MAX_FUTURE_MS,
    maxStalenessMs: config.INGEST_MAX_STALENESS_MS,
    maxPriceJump: config.INGEST_MAX_PRICE_JUMP,
    reanchorTicks: config.INGEST_PRICE_JUMP_REANCHOR_TICKS,
    reanchorAfterMs: config.INGEST_PRICE_JUMP_REANCHOR_MS,
    dedupeWindow: config.INGEST_DEDUPE_WINDOW,
    feedDelayMs: { alpaca: config.ALPACA_FEED_DELAY_MS },
  });
  const ingest = createIngest({ stats, log, gates, buffer, onBuffered: forwarder.notify, ledger });
  return { buffer, forwarder, ingest };
}
