import { expect, test } from "bun:test";
import { collectFamilies } from "@repo/platform/metrics";
import { createStats } from "@repo/platform/stats";
import { CONSUMER_COUNTERS, METRIC } from "./stats.ts";

test("/metrics exports dead letters by reason as one labelled family beside their total", () => {
  const stats = createStats();
  stats.counter(METRIC.deadLettered).add(3);
  stats.counter(METRIC.deadLetteredFor("invalid_value")).add(2);
  stats.counter(METRIC.deadLetteredFor("corrupt_avro")).add();
  const families = collectFamilies({
    service: "consumer",
    stats: () => [stats],
    counters: CONSUMER_COUNTERS,
  });
  const samples = (name: string) => [...(families.get(name)?.samples.values() ?? [])];
  expect(samples("marketpipe_consumer_dead_lettered_total")).toEqual([
    { labels: { reason: "invalid_value" }, value: 2 },
    { labels: { reason: "corrupt_avro" }, value: 1 },
  ]);
  expect(samples("marketpipe_consumer_records_dead_lettered_total")).toEqual([
    { labels: {}, value: 3 },
  ]);
});
