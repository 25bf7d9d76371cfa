import { describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { parseExposition } from "./exposition.ts";
import { createServiceApp } from "./http.ts";
import { createLogger } from "./log.ts";
import {
  type LabelledCounter,
  labelledCounter,
  MAX_LABEL_VALUES,
  serviceMetrics,
  snake,
} from "./metrics.ts";
import { createStats } from "./stats.ts";

const deadLettered = labelledCounter({
  counter: "deadLettered.{reason}",
  help: "Records sent to the dead-letter topic, by reason.",
});
const rejected = labelledCounter({
  counter: "records.rejected.{reason}",
  help: "Refused records.",
});
const polls = labelledCounter({
  counter: "providers.{provider}.{outcome}",
  metric: "provider.polls",
  help: "Polls by provider and outcome.",
  values: { outcome: ["ok", "errors"] },
});
const declared: LabelledCounter[] = [deadLettered, rejected, polls];

function scrape(
  stats: ReturnType<typeof createStats>[],
  gauges: () => {
    name: string;
    help: string;
    labels?: Record<string, string>;
    value: number;
  }[] = () => [],
) {
  const metrics = serviceMetrics(
    { service: "consumer", stats: () => stats, gauges, counters: declared },
    new Registry(),
  );
  return metrics.render().then(parseExposition);
}

describe("Prometheus metrics bridged from the stats registry", () => {
  test("counters become marketpipe_<service>_<name>_total with sanitised names", async () => {
    const stats = createStats();
    stats.counter("records.written").add(7);
    stats.counter("bars.lateTicks").add(2);
    const families = await scrape([stats]);
    const written = families.get("marketpipe_consumer_records_written_total");
    expect(written?.type).toBe("counter");
    expect(written?.samples).toEqual([
      { name: "marketpipe_consumer_records_written_total", labels: {}, value: 7 },
    ]);
    expect(families.get("marketpipe_consumer_bars_late_ticks_total")?.samples[0]?.value).toBe(2);
  });

  test("a declared family is one metric whose labels come from the counter names, with its help", async () => {
    const stats = createStats();
    stats.counter(deadLettered.name({ reason: "invalid_value" })).add(3);
    stats.counter("deadLettered.corrupt_avro").add();
    stats.counter("records.rejected.price_jump").add(5);
    stats.counter(polls.name({ provider: "simulator", outcome: "ok" })).add(9);
    const families = await scrape([stats]);
    const letters = families.get("marketpipe_consumer_dead_lettered_total");
    expect(letters?.help).toBe("Records sent to the dead-letter topic, by reason.");
    expect(letters?.samples).toEqual([
      {
        name: "marketpipe_consumer_dead_lettered_total",
        labels: { reason: "invalid_value" },
        value: 3,
      },
      {
        name: "marketpipe_consumer_dead_lettered_total",
        labels: { reason: "corrupt_avro" },
        value: 1,
      },
    ]);
    expect(families.get("marketpipe_consumer_records_rejected_total")?.samples[0]?.labels).toEqual({
      reason: "price_jump",
    });
    expect(families.get("marketpipe_consumer_provider_polls_total")?.samples[0]).toMatchObject({
      labels: { provider: "simulator", outcome: "ok" },
      value: 9,
    });
  });

  test("counters outside every declared family keep their whole name and no label", async () => {
    const stats = createStats();
    stats.counter("providers.simulator.retries").add(2);
    stats.counter("records.skipped.unresolved_cancel").add(1);
    const families = await scrape([stats]);
    expect(families.get("marketpipe_consumer_providers_simulator_retries_total")?.samples).toEqual([
      { name: "marketpipe_consumer_providers_simulator_retries_total", labels: {}, value: 2 },
    ]);
    expect(
      families.get("marketpipe_consumer_records_skipped_unresolved_cancel_total")?.samples[0]
        ?.value,
    ).toBe(1);
    expect(families.has("marketpipe_consumer_provider_polls_total")).toBe(false);
  });

  test("a family names its counters and reads them back", () => {
    expect(polls.name({ provider: "alpaca", outcome: "errors" })).toBe("providers.alpaca.errors");
    expect(polls.match("providers.alpaca.errors")).toEqual({
      provider: "alpaca",
      outcome: "errors",
    });
    expect(polls.match("providers.alpaca.errors.x")).toBeUndefined();
    expect(deadLettered.match("records.deadLettered")).toBeUndefined();
    expect(polls.labels).toEqual(["provider", "outcome"]);
    expect(rejected.metric).toBe("records.rejected");
  });

  test("a label set past the bound is folded into `other` instead of growing the series", async () => {
    const stats = createStats();
    for (let i = 0; i < MAX_LABEL_VALUES + 10; i++) stats.counter(`deadLettered.r${i}`).add();
    const samples = (await scrape([stats])).get("marketpipe_consumer_dead_lettered_total")?.samples;
    expect(samples).toHaveLength(MAX_LABEL_VALUES + 1);
    expect(samples?.find((s) => s.labels.reason === "other")?.value).toBe(10);
  });

  test("latencies become cumulative histograms in seconds over every sample", async () => {
    const stats = createStats();
    const latency = stats.latency("endToEndMs", 4);
    for (const ms of [0.5, 3, 40, 40, 700, 400_000]) latency.record(ms);
    const family = (await scrape([stats])).get("marketpipe_consumer_end_to_end_seconds");
    expect(family?.type).toBe("histogram");
    const bucket = (le: string) =>
      family?.samples.find((s) => s.name.endsWith("_bucket") && s.labels.le === le)?.value;
    expect(bucket("0.001")).toBe(1);
    expect(bucket("0.005")).toBe(2);
    expect(bucket("0.05")).toBe(4);
    expect(bucket("1")).toBe(5);
    expect(bucket("300")).toBe(5);
    expect(bucket("+Inf")).toBe(6);
    const sum = family?.samples.find((s) => s.name.endsWith("_sum"))?.value ?? 0;
    expect(sum).toBeCloseTo(400.7835, 6);
    expect(family?.samples.find((s) => s.name.endsWith("_count"))?.value).toBe(6);
  });

  test("gauges are sampled at scrape time with their labels", async () => {
    let lag = 5;
    const metrics = serviceMetrics(
      {
        service: "consumer",
        stats: () => [],
        gauges: () => [
          { name: "partitionLag", help: "lag", labels: { partition: "0" }, value: lag },
        ],
      },
      new Registry(),
    );
    const first = parseExposition(await metrics.render());
    expect(first.get("marketpipe_consumer_partition_lag")?.samples[0]?.value).toBe(5);
    lag = 0;
    const second = parseExposition(await metrics.render());
    expect(second.get("marketpipe_consumer_partition_lag")?.samples[0]).toEqual({
      name: "marketpipe_consumer_partition_lag",
      labels: { partition: "0" },
      value: 0,
    });
  });

  test("counters that appear after the first scrape are exported by the next", async () => {
    const stats = createStats();
    const metrics = serviceMetrics(
      { service: "ingest", stats: () => [stats], counters: declared },
      new Registry(),
    );
    expect(parseExposition(await metrics.render()).size).toBe(0);
    stats.counter("records.rejected.duplicate").add(4);
    const families = parseExposition(await metrics.render());
    expect(families.get("marketpipe_ingest_records_rejected_total")?.samples[0]?.value).toBe(4);
  });

  test("names are snake_case Prometheus fragments", () => {
    expect(snake("records.deadLettered")).toBe("records_dead_lettered");
    expect(snake("deliveryLatency")).toBe("delivery_latency");
    expect(snake("weird name!.x")).toBe("weird_name_x");
  });

  test("every service app answers GET /metrics in the text format, with the process metrics", async () => {
    const stats = createStats();
    stats.counter("records.accepted").add(2);
    const app = createServiceApp({
      service: "apptest",
      log: createLogger("test", "silent"),
      stats: () => ({}),
      readiness: () => ({ ready: true, checks: {} }),
      gauges: () => [{ name: "queueDepth", help: "records in flight", value: 3 }],
    });
    const response = await app.request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    const families = parseExposition(await response.text());
    expect(
      families.get("marketpipe_apptest_records_accepted_total")?.samples[0]?.value,
    ).toBeGreaterThanOrEqual(2);
    expect(families.get("marketpipe_apptest_queue_depth")?.samples[0]?.value).toBe(3);
    expect(families.get("process_cpu_seconds_total")?.type).toBe("counter");
  });
});
