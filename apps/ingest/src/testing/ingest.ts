import { createStats } from "@repo/platform/stats";
import { createTickBuffer } from "../forward/buffer.ts";
import { createForwarder, type ForwarderOptions } from "../forward/forwarder.ts";
import { createIngest } from "../ingest.ts";
import { createQualityGates, type QualityGateOptions } from "../quality/gates.ts";
import type { ConnectionTimings } from "../stream/connection.ts";
import { captureLog } from "./capture-log.ts";

/** Gates loose enough for recorded and simulated data; a test overrides what it is about. */
const testGates: QualityGateOptions = {
  maxFutureMs: 5_000,
  maxStalenessMs: 900_000,
  maxPriceJump: 0.1,
  reanchorTicks: 3,
  reanchorAfterMs: 60_000,
  dedupeWindow: 100_000,
};

/**
 * Ingest in process for unit tests: stats, a buffer of `capacity` over `lanes`, quality gates
 * (`testGates` with `gates` on top) and a captured log; `onBuffered` is called as ingest buffers.
 *
 * @example
 *   const { ingest, buffer } = ingestHarness({ capacity: 1_000 });
 *   await ingest.poll(provider);
 */
export function ingestHarness(
  options: {
    capacity?: number;
    lanes?: number;
    gates?: Partial<QualityGateOptions>;
    onBuffered?: () => void;
  } = {},
) {
  const stats = createStats();
  const buffer = createTickBuffer(options.capacity ?? 10_000, options.lanes ?? 1);
  const captured = captureLog();
  const gates = createQualityGates({ ...testGates, ...options.gates });
  const ingest = createIngest({
    stats,
    log: captured.log,
    gates,
    buffer,
    onBuffered: options.onBuffered ?? (() => {}),
  });
  return { stats, buffer, gates, ingest, log: captured.log, captured };
}

/**
 * {@link ingestHarness} forwarding to `producerUrl` with short timings (not started): what it
 * forwards and what the producer refuses count in `stats` as in the service.
 */
export function forwardingHarness(
  producerUrl: string,
  options: {
    capacity?: number;
    lanes?: number;
    gates?: Partial<QualityGateOptions>;
    forwarder?: Partial<Omit<ForwarderOptions, "producerUrl" | "buffer" | "log">>;
  } = {},
) {
  let notify = () => {};
  const harness = ingestHarness({ ...options, onBuffered: () => notify() });
  const { stats, buffer, log } = harness;
  const forwarder = createForwarder({
    producerUrl,
    buffer,
    log,
    batchSize: 50,
    lingerMs: 20,
    requestTimeoutMs: 1_000,
    minRetryDelayMs: 10,
    maxRetryDelayMs: 50,
    onForwarded: (n) => stats.counter("records.forwarded").add(n),
    onRejected: (n, reason) => stats.counter(`records.rejected.${reason}`).add(n),
    ...options.forwarder,
  });
  notify = forwarder.notify;
  return { ...harness, forwarder };
}

/** Stream connection timings for tests against local servers: reconnects within milliseconds. */
export const fastTimings: ConnectionTimings = {
  connectTimeoutMs: 2_000,
  pingIntervalMs: 5_000,
  staleAfterMs: 60_000,
  reconnectMinMs: 20,
  reconnectMaxMs: 200,
  limitWaitMs: 300,
  limitShortRetries: 3,
  limitRetryMs: 30,
  stableAfterMs: 30_000,
};
