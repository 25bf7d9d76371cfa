import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Relay } from "@repo/testkit";
import { freePort, produceRaw, type RunningService, readTopic, startRelay } from "@repo/testkit";
import { makeTicks, type Scenario, scenario, stats, waitFor } from "./harness.ts";

/**
 * Kafka unreachable when the consumer starts (its bootstrap address is a loopback relay to the
 * shared broker that starts listening only later): the consumer waits, is not ready, then consumes
 * everything, dead-letters the poison record and commits — nothing lost, nothing doubled.
 */
let s: Scenario;
let consumer: RunningService;
let relay: Relay | undefined;

beforeAll(async () => {
  s = await scenario("late_kafka");
}, 120_000);

afterAll(async () => {
  await s?.close(); // stops the consumer first
  await relay?.close();
}, 60_000);

test("a consumer started before Kafka is reachable recovers and stores every tick exactly once", async () => {
  const ticks = makeTicks(4, 50);
  await s.produce(ticks);
  await produceRaw(s.topic.ticks, [{ key: "SYM00", value: Buffer.from("not avro at all") }]);

  const relayPort = await freePort();
  consumer = await s.start({ KAFKA_BROKERS: `127.0.0.1:${relayPort}` });
  expect((await fetch(`${consumer.url}/readyz`)).status).toBe(503);
  await waitFor(
    "the consumer to retry connecting to the unreachable Kafka twice",
    async () =>
      (consumer.output().match(/not reachable yet; retrying/g)?.length ?? 0) >= 2
        ? true
        : undefined,
    30_000,
    consumer,
  );
  relay = await startRelay(relayPort, 9092);

  const final = await waitFor(
    "every tick written and the poison record dead-lettered",
    async () => {
      const current = await stats(consumer);
      return current.records.written === ticks.length &&
        current.records.deadLettered === 1 &&
        current.lag.total === 0
        ? current
        : undefined;
    },
    90_000,
    consumer,
  );
  const deadLetters = await readTopic(s.topic.deadLetter);
  const ready = await waitFor(
    "readyz 200 once caught up",
    async () => ((await fetch(`${consumer.url}/readyz`)).status === 200 ? true : undefined),
    15_000,
    consumer,
  );
  expect({
    consumed: final.records.consumed,
    rows: await s.tickCount(),
    deadLetters: deadLetters.map((letter) => letter.value?.toString()),
    ready,
  }).toEqual({
    consumed: ticks.length + 1,
    rows: ticks.length,
    deadLetters: ["not avro at all"],
    ready: true,
  });
}, 180_000);
