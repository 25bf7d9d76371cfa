import { expect, test } from "bun:test";
import { collectFamilies } from "@repo/platform/metrics";
import { createStats } from "@repo/platform/stats";
import { METRIC, PRODUCER_COUNTERS } from "./stats.ts";

test("/metrics exports refused fields and writes by token and refusal as labelled families", () => {
  const stats = createStats();
  stats.counter(METRIC.invalidField("eventTime")).add(2);
  stats.counter(METRIC.requestsByToken("ingest")).add(5);
  stats.counter(METRIC.refused("missing_token")).add();
  stats.counter(METRIC.rejected).add(3);
  const families = collectFamilies({
    service: "producer",
    stats: () => [stats],
    counters: PRODUCER_COUNTERS,
  });
  const samples = (name: string) => [...(families.get(name)?.samples.values() ?? [])];
  expect(samples("marketpipe_producer_invalid_by_field_total")).toEqual([
    { labels: { field: "eventTime" }, value: 2 },
  ]);
  expect(samples("marketpipe_producer_auth_requests_total")).toEqual([
    { labels: { token: "ingest" }, value: 5 },
  ]);
  expect(samples("marketpipe_producer_auth_refused_total")).toEqual([
    { labels: { reason: "missing_token" }, value: 1 },
  ]);
  expect(samples("marketpipe_producer_records_rejected_total")).toEqual([{ labels: {}, value: 3 }]);
});
