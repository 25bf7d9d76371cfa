import { labelledCounter } from "@repo/platform/metrics";
import type { Stats } from "@repo/platform/stats";
import type { TickBuffer } from "./forward/buffer.ts";
import type { ProducerRefusal } from "./forward/forwarder.ts";
import type { Provider, SkipReason, StreamProvider } from "./providers/provider.ts";
import type { RejectReason } from "./quality/gates.ts";
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
export type Rejection = (typeof REJECT_REASONS)[number];

/** Provider records read and deliberately not offered (see `SkipReason`). */
export const SKIP_REASONS: readonly SkipReason[] = ["unresolved_cancel", "unresolved_correction"];

/**
 * Why an accepted record never reached the producer: the buffer was full when it arrived
 * (`buffer_full`), or it was still buffered when the shutdown grace ran out (`shutdown`).
 */
export const DROP_REASONS = ["buffer_full", "shutdown"] as const;
export type DropReason = (typeof DROP_REASONS)[number];

const rejected = labelledCounter({
  counter: "records.rejected.{reason}",
  help: "Records refused by the data-quality gates or the producer, by reason.",
});
const droppedByReason = labelledCounter({
  counter: "records.droppedByReason.{reason}",
  help: "Accepted records that never reached the producer, by reason.",
});
const providerPolls = labelledCounter({
  counter: "providers.{provider}.{outcome}",
  metric: "provider.polls",
  help: "Polls of each provider, by outcome (ok: it answered; errors: it failed).",
  values: { outcome: ["ok", "errors"] },
});

/** Ingest's labelled counters, exported by `/metrics` with their labels. */
export const INGEST_COUNTERS = [rejected, droppedByReason, providerPolls];

/** Ingest's metric names: written by the ingest path and the forwarder, read by `/stats`, `/metrics` and the backfill. */
export const METRIC = {
  polls: "polls",
  fetched: "records.fetched",
  forwarded: "records.forwarded",
  /** Refused records by reason, e.g. `records.rejected.duplicate`. */
  rejected: (reason: Rejection | "") => rejected.name({ reason }),
  dropped: "records.dropped",
  /** Accepted cancels (a cancelled trade, or the original of a correction). */
  cancels: "records.cancels",
  /** Accepted quotes with one side empty (stored with that side null). */
  oneSidedQuotes: "records.oneSidedQuotes",
  /** Records skipped by reason, e.g. `records.skipped.unresolved_cancel`. */
  skipped: (reason: SkipReason) => `records.skipped.${reason}`,
  /** Dropped records by reason, e.g. `records.droppedByReason.buffer_full`. */
  droppedByReason: (reason: DropReason) => droppedByReason.name({ reason }),
  reanchored: "gates.reanchored",
  /** Polls of one provider that answered, e.g. `providers.alpaca.ok`. */
  providerOk: (provider: string) => providerPolls.name({ provider, outcome: "ok" }),
  providerErrors: (provider: string) => providerPolls.name({ provider, outcome: "errors" }),
} as const;

export interface PolledProviderView {
  provider: Provider;
  schedule?: () => ScheduleView;
}

/** What `/stats` reads besides the counters. */
export interface IngestView {
  buffer: Pick<TickBuffer, "size" | "capacity">;
  /** When a provider's last poll answered (ISO-8601), if ever. */
  lastSuccessAt: (provider: string) => string | undefined;
  polled: readonly PolledProviderView[];
  streams: readonly StreamProvider[];
}

/** One polled provider in `/stats`. */
export interface PolledProviderStats {
  mode: "poll";
  ok: number;
  errors: number;
  lastSuccessAt: string | null;
  schedule: ScheduleView | null;
  circuit?: "closed" | "open" | "halfOpen";
  retries?: number;
}

/**
 * One streaming provider in `/stats`: its `view()` (for the WebSocket providers a
 * `WebSocketStreamView`, see `stream/websocket-provider.ts`).
 */
export type StreamedProviderStats<View = Record<string, unknown>> = { mode: "stream" } & View;

/**
 * The body of `GET /stats`.
 *
 * @example
 *   ingestStats(stats, { buffer, lastSuccessAt: () => undefined, polled: [], streams: [] }).records;
 */
export function ingestStats(stats: Stats, view: IngestView) {
  const count = (name: string) => stats.counter(name).value;
  const providers: Record<string, PolledProviderStats | StreamedProviderStats> = {};
  for (const { provider, schedule } of view.polled)
    providers[provider.name] = {
      mode: "poll",
      ok: count(METRIC.providerOk(provider.name)),
      errors: count(METRIC.providerErrors(provider.name)),
      lastSuccessAt: view.lastSuccessAt(provider.name) ?? null,
      schedule: schedule?.() ?? null,
      ...(provider.health?.() ?? {}),
    };
  for (const stream of view.streams) providers[stream.name] = { mode: "stream", ...stream.view() };
  return {
    service: "ingest" as const,
    uptimeSeconds: stats.uptimeSeconds(),
    polls: count(METRIC.polls),
    records: {
      fetched: count(METRIC.fetched),
      rejected: Object.fromEntries(
        REJECT_REASONS.map((reason) => [reason, count(METRIC.rejected(reason))]),
      ) as Record<Rejection, number>,
      forwarded: count(METRIC.forwarded),
      cancels: count(METRIC.cancels),
      oneSidedQuotes: count(METRIC.oneSidedQuotes),
      skipped: Object.fromEntries(
        SKIP_REASONS.map((reason) => [reason, count(METRIC.skipped(reason))]),
      ) as Record<SkipReason, number>,
      dropped: count(METRIC.dropped),
      droppedByReason: Object.fromEntries(
        DROP_REASONS.map((reason) => [reason, count(METRIC.droppedByReason(reason))]),
      ) as Record<DropReason, number>,
    },
    gates: { reanchored: count(METRIC.reanchored) },
    providers,
    buffer: { size: view.buffer.size, capacity: view.buffer.capacity },
  };
}

/** What `GET /stats` answers; tests read it with this type. */
export type IngestStats = ReturnType<typeof ingestStats>;
