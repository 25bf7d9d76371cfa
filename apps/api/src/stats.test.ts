import { expect, test } from "bun:test";
import { collectFamilies } from "@repo/platform/metrics";
import { createStats } from "@repo/platform/stats";
import { API_COUNTERS, METRIC } from "./stats.ts";

test("/metrics exports answers by status class as one labelled family", () => {
  const stats = createStats();
  stats.counter(METRIC.requests("2xx")).add(7);
  stats.counter(METRIC.requests("4xx")).add(2);
  const families = collectFamilies({
    service: "api",
    stats: () => [stats],
    counters: API_COUNTERS,
  });
  expect([...(families.get("marketpipe_api_requests_total")?.samples.values() ?? [])]).toEqual([
    { labels: { status: "2xx" }, value: 7 },
    { labels: { status: "4xx" }, value: 2 },
  ]);
});
