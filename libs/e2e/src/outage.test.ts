/**
 * Kafka goes away mid-stream while the simulator keeps producing: the producer and consumer reach
 * Kafka only through a relay, and closing it cuts every connection they have (the shared broker and
 * everyone else's clients carry on). Services report not-ready, the producer's deliveries time out,
 * ingest buffers, and when Kafka is reachable again everything drains by itself — every simulated
 * tick is exactly one row, bars still equal their ticks.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  brokers,
  consumerCaughtUp,
  eventually,
  freePort,
  type IngestStats,
  ingestSettled,
  type Pipeline,
  type ProducerStats,
  type Relay,
  type RunningService,
  simulatorEnv,
  startKafkaRelay,
  startPipeline,
} from "@repo/testkit";
import { storedOutcome } from "./pipeline.ts";

const TICK_LIMIT = 3_000; // 30 s at 100 ticks/s
/** Ticks ingest must be holding before Kafka returns: 10 s of simulator, past ingest's forward timeout. */
const BUFFERED_DURING_OUTAGE = 1_000;
const brokerPort = Number(brokers[0]?.split(":")[1] ?? 9092);

/** Upper bounds of each wait (normal runs take a fraction); their sum stays under the test's timeout. */
const WAIT = {
  ingestReady: 60_000,
  forwarding: 30_000,
  notReady: 30_000,
  outageFelt: 60_000,
  readyAgain: 60_000,
  ingestSettled: 90_000,
  caughtUp: 90_000,
};
const TEST_TIMEOUT = Object.values(WAIT).reduce((sum, ms) => sum + ms, 0) + 30_000;

let pipeline: Pipeline;
let relayPort: number;
let kafka: Relay | undefined;
beforeAll(async () => {
  relayPort = await freePort();
  kafka = await startKafkaRelay(relayPort, brokerPort);
  // A short delivery timeout so the outage also covers deliveries the producer gives up on.
  pipeline = await startPipeline("outage", {
    KAFKA_BROKERS: `127.0.0.1:${relayPort}`,
    DELIVERY_TIMEOUT_MS: "5000",
  });
}, 180_000);
afterAll(async () => {
  await pipeline?.close();
  await kafka?.close();
}, 60_000);

const readyz = async (service: RunningService) =>
  (await fetch(`${service.url}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;

test(
  "a Kafka outage mid-stream loses and duplicates nothing, and every service recovers by itself",
  async () => {
    const diagnose = pipeline.diagnose;
    const ingest = await pipeline.startIngest(
      simulatorEnv({
        symbols: ["AAPL", "MSFT", "GOOG", "AMZN"],
        rate: 100,
        limit: TICK_LIMIT,
        seed: 7,
      }),
    );
    await eventually(
      async () =>
        (await ingest.json<IngestStats>("/stats")).records.forwarded >= 500 ? true : undefined,
      { timeoutMs: WAIT.forwarding, message: "ingest did not forward 500 ticks", diagnose },
    );

    await kafka?.close();
    kafka = undefined;
    try {
      await Promise.all(
        [pipeline.producer, pipeline.consumer, ingest].map((service) =>
          eventually(async () => ((await readyz(service)) === 503 ? true : undefined), {
            timeoutMs: WAIT.notReady,
            message: `${service.name} did not report not-ready without Kafka`,
            diagnose,
          }),
        ),
      );
      await eventually(
        async () => {
          const [producer, buffered] = await Promise.all([
            pipeline.producer.json<ProducerStats>("/stats"),
            ingest.json<IngestStats>("/stats"),
          ]);
          return producer.records.failed > 0 && buffered.buffer.size >= BUFFERED_DURING_OUTAGE
            ? true
            : undefined;
        },
        {
          timeoutMs: WAIT.outageFelt,
          message: `the producer reported no failed delivery, or ingest buffered fewer than ${BUFFERED_DURING_OUTAGE} ticks, while Kafka was unreachable`,
          diagnose,
        },
      );
    } finally {
      kafka ??= await startKafkaRelay(relayPort, brokerPort);
    }
    await Promise.all(
      [pipeline.producer, pipeline.consumer, ingest].map((service) =>
        eventually(async () => ((await readyz(service)) === 200 ? true : undefined), {
          timeoutMs: WAIT.readyAgain,
          message: `${service.name} did not become ready after Kafka returned`,
          diagnose,
        }),
      ),
    );

    const ingestStats = await ingestSettled(ingest, TICK_LIMIT, {
      timeoutMs: WAIT.ingestSettled,
      diagnose,
    });
    expect(ingestStats.records.dropped).toBe(0);
    const forwarded = ingestStats.records.forwarded;
    expect(forwarded).toBe(TICK_LIMIT);
    await consumerCaughtUp(pipeline.consumer, forwarded, { timeoutMs: WAIT.caughtUp, diagnose });

    const producer = await pipeline.producer.json<ProducerStats>("/stats");
    const stored = await storedOutcome(pipeline.db);
    console.log(
      `outage: ${forwarded} ticks forwarded around a Kafka outage (${producer.records.failed} deliveries timed out and were resent, ` +
        `${producer.records.delivered} delivered), ${stored.rows} rows, ${stored.bars} bars`,
    );
    expect(stored.rows).toBe(forwarded);
    expect(stored.mismatchedBars).toEqual([]);
    expect(stored.missingBars).toEqual([]);
    expect(stored.staleLatest).toEqual([]);
  },
  TEST_TIMEOUT,
);
