import { expect, test } from "bun:test";
import { collectFamilies } from "@repo/platform/metrics";
import { createStats } from "@repo/platform/stats";
import { INGEST_COUNTERS, METRIC } from "./stats.ts";

test("/metrics exports rejections, drops and provider polls as labelled families, other counters whole", () => {
  const stats = createStats();
  stats.counter(METRIC.rejected("duplicate")).add(4);
  stats.counter(METRIC.droppedByReason("buffer_full")).add(2);
  stats.counter(METRIC.providerOk("alpaca")).add(9);
  stats.counter(METRIC.providerErrors("alpaca")).add();
  stats.counter(METRIC.skipped("unresolved_cancel")).add();
  const families = collectFamilies({
    service: "ingest",
    stats: () => [stats],
    counters: INGEST_COUNTERS,
  });
  const samples = (name: string) => [...(families.get(name)?.samples.values() ?? [])];
  expect(samples("marketpipe_ingest_records_rejected_total")).toEqual([
    { labels: { reason: "duplicate" }, value: 4 },
  ]);
  expect(samples("marketpipe_ingest_records_dropped_by_reason_total")).toEqual([
    { labels: { reason: "buffer_full" }, value: 2 },
  ]);
  expect(samples("marketpipe_ingest_provider_polls_total")).toEqual([
    { labels: { provider: "alpaca", outcome: "ok" }, value: 9 },
    { labels: { provider: "alpaca", outcome: "errors" }, value: 1 },
  ]);
  expect(samples("marketpipe_ingest_records_skipped_unresolved_cancel_total")).toEqual([
    { labels: {}, value: 1 },
  ]);
});
