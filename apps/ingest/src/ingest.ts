import type { Logger } from "@repo/platform/log";
import type { Stats } from "@repo/platform/stats";
import type { TickBuffer } from "./forward/buffer.ts";
import type { ProducerRefusal } from "./forward/forwarder.ts";
import type { Provider } from "./providers/provider.ts";
import type { createQualityGates, RejectReason } from "./quality/gates.ts";
import type { ScheduleView } from "./schedule/scheduler.ts";

/** Every reason a record can be refused, including payloads and producer refusals. */
export const REJECT_REASONS: readonly (RejectReason | "malformed_payload" | ProducerRefusal)[] = [
  "schema_invalid",
  "non_positive_price",
  "crossed_quote",
  "future_timestamp",
  "stale_timestamp",
  "duplicate",
  "price_jump",
  "malformed_payload",
  "producer_rejected",
  "producer_too_large",
];

const SAMPLES_PER_REASON = 5;
const SAMPLE_EVERY = 1000;

export interface IngestOptions {
  stats: Stats;
  log: Logger;
  gates: ReturnType<typeof createQualityGates>;
  buffer: TickBuffer;
  /** Wakes the forwarder after records were buffered. */
  onBuffered: () => void;
  nowMicros?: () => number;
}

/**
 * One poll of one provider: fetch, run the quality gates, buffer what passes. Failures are
 * counted per provider and never thrown, so a bad provider cannot stop the schedule.
 *
 * @example
 *   const ingest = createIngest({ stats, log, gates, buffer, onBuffered: forwarder.notify });
 *   await ingest.poll(simulator);
 */
export function createIngest(options: IngestOptions) {
  const { stats, log, gates, buffer } = options;
  const nowMicros = options.nowMicros ?? (() => Date.now() * 1000);
  const lastSuccessAt = new Map<string, string>();

  function reject(
    reason: (typeof REJECT_REASONS)[number],
    detail: string,
    sample: unknown,
    provider: string,
  ) {
    const counter = stats.counter(`records.rejected.${reason}`);
    counter.add();
    if (counter.value <= SAMPLES_PER_REASON || counter.value % SAMPLE_EVERY === 0) {
      log.warn(
        { reason, detail, provider, sample, rejectedSoFar: counter.value },
        "record rejected",
      );
    }
  }

  async function poll(provider: Provider, signal?: AbortSignal): Promise<void> {
    stats.counter("polls").add();
    let result: Awaited<ReturnType<Provider["poll"]>>;
    try {
      result = await provider.poll(signal);
    } catch (error) {
      stats.counter(`providers.${provider.name}.errors`).add();
      log.warn({ provider: provider.name, err: (error as Error).message }, "poll failed");
      return;
    }
    stats.counter(`providers.${provider.name}.ok`).add();
    lastSuccessAt.set(provider.name, new Date().toISOString());
    stats.counter("records.fetched").add(result.ticks.length + result.malformed.length);
    for (const message of result.malformed)
      reject("malformed_payload", message, undefined, provider.name);
    const now = nowMicros();
    const accepted = [];
    for (const candidate of result.ticks) {
      const verdict = gates.check(candidate, now);
      if (!verdict.ok) {
        reject(verdict.reason, verdict.detail, candidate, provider.name);
        continue;
      }
      accepted.push(verdict.tick);
      if (verdict.reanchored) {
        stats.counter("gates.reanchored").add();
        log.info(
          { provider: provider.name, symbol: verdict.tick.symbol, ...verdict.reanchored },
          "price moved beyond the jump threshold and held; re-anchored",
        );
      }
    }
    const dropped = buffer.offer(accepted);
    if (dropped > 0) {
      stats.counter("records.dropped").add(dropped);
      log.warn({ dropped, capacity: buffer.capacity }, "buffer full; dropped newest records");
    }
    if (accepted.length > dropped) options.onBuffered();
  }

  function snapshot(providers: { provider: Provider; schedule?: () => ScheduleView }[]) {
    const rejected = Object.fromEntries(
      REJECT_REASONS.map((reason) => [reason, stats.counter(`records.rejected.${reason}`).value]),
    );
    return {
      service: "ingest",
      uptimeSeconds: stats.uptimeSeconds(),
      polls: stats.counter("polls").value,
      records: {
        fetched: stats.counter("records.fetched").value,
        rejected,
        forwarded: stats.counter("records.forwarded").value,
        dropped: stats.counter("records.dropped").value,
      },
      gates: { reanchored: stats.counter("gates.reanchored").value },
      providers: Object.fromEntries(
        providers.map(({ provider, schedule }) => [
          provider.name,
          {
            ok: stats.counter(`providers.${provider.name}.ok`).value,
            errors: stats.counter(`providers.${provider.name}.errors`).value,
            lastSuccessAt: lastSuccessAt.get(provider.name) ?? null,
            schedule: schedule?.() ?? null,
            ...(provider.health?.() ?? {}),
          },
        ]),
      ),
      buffer: { size: buffer.size, capacity: buffer.capacity },
    };
  }

  return { poll, snapshot, reject };
}
