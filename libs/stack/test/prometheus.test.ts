import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildApp,
  describeServices,
  eventually,
  freePort,
  type Pipeline,
  type RunningService,
  startPipeline,
  startService,
} from "@repo/testkit";
import { prometheusServer } from "../src/components/prometheus.ts";
import type { Server } from "../src/components/types.ts";
import { downTopology, type Topology, upTopology } from "../src/topology.ts";

/**
 * A Prometheus of the test's own (the stack's component on a free loopback port, its data, pid file
 * and log in a temporary folder) scraping the five services this test started, with
 * the repository's rules: every service's series arrive, and stopping the consumer fires
 * MarketpipeServiceDown, which resolves once it is back.
 */

const dir = mkdtempSync(join(tmpdir(), "prometheus-test-"));
let pipeline: Pipeline;
let services: RunningService[];
let producer: RunningService;
let consumer: RunningService;
let ingest: RunningService;
let apiService: RunningService;
let analytics: RunningService;
let consumerPort: number;
let server: Server;
let topology: Topology;
let api: string;

interface Alert {
  labels: Record<string, string>;
  state: "pending" | "firing";
}

async function query(
  expr: string,
): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as { status: string; data: { result: [] } };
  if (body.status !== "success") throw new Error(`query ${expr}: ${JSON.stringify(body)}`);
  return body.data.result;
}

async function alerts(): Promise<Alert[]> {
  const body = (await (await fetch(`${api}/api/v1/alerts`)).json()) as {
    data: { alerts: Alert[] };
  };
  return body.data.alerts;
}

const consumerDown = (alert: Alert) =>
  alert.labels.alertname === "MarketpipeServiceDown" && alert.labels.service === "consumer";

beforeAll(async () => {
  // The consumer keeps its port across the restart below: Prometheus scrapes one address.
  consumerPort = await freePort();
  [pipeline] = await Promise.all([
    startPipeline("prom", {}, { consumer: { PORT: String(consumerPort) } }),
    buildApp("analytics"),
  ]);
  ({ services, producer, consumer } = pipeline);
  const { keyspace, prefix } = pipeline;
  ingest = await startService(
    "ingest",
    { PRODUCER_URL: producer.url, CASSANDRA_KEYSPACE: keyspace, SIMULATOR_RATE: "5" },
    { waitFor: "readyz" },
  );
  services.push(ingest);
  apiService = await startService(
    "api",
    {
      CASSANDRA_KEYSPACE: keyspace,
      TOPIC_PREFIX: prefix,
      INGEST_URL: ingest.url,
      PRODUCER_URL: producer.url,
      CONSUMER_URL: consumer.url,
    },
    { waitFor: "healthz" },
  );
  services.push(apiService);
  const analyticsGroup = `${pipeline.id}-analytics`;
  pipeline.groups.push(analyticsGroup);
  analytics = await startService(
    "analytics",
    { TOPIC_PREFIX: prefix, CASSANDRA_KEYSPACE: keyspace, ANALYTICS_GROUP: analyticsGroup },
    { waitFor: "healthz" },
  );
  services.push(analytics);
  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  const place = { runDir: join(dir, "run"), logDir: join(dir, "logs") };
  server = prometheusServer({
    name: `prometheus-${pipeline.id}`,
    port,
    dataDir: join(dir, "data"),
    place,
    config: {
      dir: join(dir, "conf"),
      intervalSeconds: 1,
      targets: [
        { service: "producer", address: producer.url.replace("http://", "") },
        { service: "consumer", address: `127.0.0.1:${consumerPort}` },
        { service: "ingest", address: ingest.url.replace("http://", "") },
        { service: "api", address: apiService.url.replace("http://", "") },
        { service: "analytics", address: analytics.url.replace("http://", "") },
      ],
    },
  });
  topology = { name: "test", servers: [server], dependsOn: {}, place };
  await upTopology(topology, [server]);
}, 240_000);

afterAll(async () => {
  if (topology) await downTopology(topology).catch(() => {});
  await pipeline?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("Prometheus from the stack's component", () => {
  test("scrapes every service it is given, holds each one's series, and fires MarketpipeServiceDown while the consumer is stopped, resolved once it is back", async () => {
    const diagnose = () => describeServices(services);
    await eventually(
      async () => {
        const up = await query('up{job="marketpipe"}');
        return up.length === 5 && up.every((sample) => sample.value[1] === "1") ? true : undefined;
      },
      { timeoutMs: 30_000, message: "Prometheus did not scrape the five services", diagnose },
    );
    for (const service of ["producer", "consumer", "ingest", "api", "analytics"]) {
      const series = await query(
        `count({__name__=~"marketpipe_${service}_.+", service="${service}"})`,
      );
      expect(Number(series[0]?.value[1] ?? 0)).toBeGreaterThan(0);
    }
    const marketOpen = await query("marketpipe_ingest_market_open");
    expect(marketOpen).toHaveLength(1);
    await eventually(
      async () => {
        const written = await query(
          'marketpipe_consumer_records_written_total{service="consumer"}',
        );
        return Number(written[0]?.value[1] ?? 0) > 0 ? true : undefined;
      },
      { timeoutMs: 60_000, message: "the consumer's written counter never rose", diagnose },
    );
    expect((await alerts()).filter(consumerDown)).toEqual([]);

    const stoppedAt = performance.now();
    expect(await consumer.stop("SIGTERM", 20_000)).toBe(0);
    const firing = await eventually(
      async () => {
        const alert = (await alerts()).find(consumerDown);
        return alert?.state === "firing" ? alert : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500, message: "MarketpipeServiceDown did not fire" },
    );
    const firedAfter = (performance.now() - stoppedAt) / 1000;
    expect(firing.labels).toMatchObject({ severity: "critical", job: "marketpipe" });
    expect(firedAfter).toBeGreaterThanOrEqual(30);

    consumer = await pipeline.startConsumer();
    const restartedAt = performance.now();
    await eventually(async () => ((await alerts()).some(consumerDown) ? undefined : true), {
      timeoutMs: 30_000,
      intervalMs: 500,
      message: "MarketpipeServiceDown did not resolve",
    });
    console.log(
      `prometheus: 3 services scraped every 1 s; MarketpipeServiceDown fired ${firedAfter.toFixed(1)} s after the consumer stopped and resolved ${((performance.now() - restartedAt) / 1000).toFixed(1)} s after it was back`,
    );
  }, 240_000);
});
