import { afterAll, expect, test } from "bun:test";
import { dlqHeaders, tickIdentity } from "@repo/contracts";
import {
  barsFromStoredTicks,
  freePort,
  produceRaw,
  readTopic,
  stackEnv,
  startRelay,
  storedBars,
} from "@repo/testkit";
import { makeTicks, type Scenario, scenario, stats, waitFor } from "./harness.ts";

const scenarios: Scenario[] = [];
async function fresh(name: string) {
  const s = await scenario(name);
  scenarios.push(s);
  return s;
}
afterAll(async () => {
  for (const s of scenarios) await s.close();
}, 60_000);

test("poison records go to the DLQ with their reason and original bytes; good neighbours are stored and lag reaches 0", async () => {
  const s = await fresh("cons_dlq");
  const good = makeTicks(3, 100);
  const id = await s.registry.getLatestSchemaId(`${s.topic.ticks}-value`);
  const invalid = await s.registry.encode(id, {
    ...good[0],
    symbol: "not a symbol!",
    sequence: 999_999,
  });
  const poison = [
    { reason: "bad_magic_byte", value: Buffer.from("definitely not avro") },
    { reason: "unknown_schema_id", value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 2, 4, 6]) },
    { reason: "invalid_value", value: invalid },
  ];
  const consumer = await s.start();
  try {
    await s.produce(good.slice(0, 150));
    await produceRaw(
      s.topic.ticks,
      poison.map((p) => ({ key: "SYM00", value: p.value })),
    );
    await s.produce(good.slice(150));
    const final = await waitFor(
      "all records handled and lag 0",
      async () => {
        const now = await stats(consumer);
        const handled = now.records.written + now.records.deadLettered;
        return handled >= 303 && now.lag.total === 0 ? now : undefined;
      },
      60_000,
      consumer,
    );
    expect(final.records).toEqual({ consumed: 303, written: 300, deadLettered: 3 });
    expect(await s.tickCount()).toBe(300);

    const letters = await readTopic(s.topic.deadLetter, { untilCount: 3, timeoutMs: 20_000 });
    expect(letters.map((l) => l.headers[dlqHeaders.reason]?.split(":")[0]).sort()).toEqual(
      poison.map((p) => p.reason).sort(),
    );
    for (const letter of letters) {
      const original = poison.find((p) => letter.headers[dlqHeaders.reason]?.startsWith(p.reason));
      expect(letter.value).toEqual(original?.value as Buffer);
      expect(letter.key?.toString()).toBe("SYM00");
      expect(letter.headers[dlqHeaders.sourceTopic]).toBe(s.topic.ticks);
      expect(Number(letter.headers[dlqHeaders.sourcePartition])).toBeGreaterThanOrEqual(0);
      expect(Number(letter.headers[dlqHeaders.sourceOffset])).toBeGreaterThanOrEqual(0);
    }
    expect(
      letters.find((l) => l.headers[dlqHeaders.reason]?.startsWith("invalid_value"))?.headers[
        dlqHeaders.reason
      ],
    ).toContain("symbol");
    expect(await consumer.stop()).toBe(0);
  } finally {
    await consumer.kill().catch(() => {});
  }
}, 90_000);

test("a consumer SIGKILLed mid-stream and restarted stores every tick exactly once", async () => {
  const s = await fresh("cons_kill");
  const ticks = makeTicks(6, 1500);
  const slow = { CONSUMER_MAX_BATCH: "100", CONSUMER_SESSION_TIMEOUT_MS: "8000" };
  let consumer = await s.start(slow);
  try {
    await s.produce(ticks);
    const atKill = await waitFor(
      "some but not all ticks written",
      async () => {
        const now = await stats(consumer);
        return now.records.written > 0 ? now : undefined;
      },
      30_000,
      consumer,
    );
    await consumer.kill();
    expect(atKill.records.written).toBeLessThan(ticks.length);
    consumer = await s.start();
    await waitFor(
      "all ticks stored after restart",
      async () => {
        const now = await stats(consumer);
        // lag.total sums the assigned partitions: 0 also before the restarted member has joined,
        // when the killed one may have written every tick row but not yet their bars.
        const assigned = Object.keys(now.lag.byPartition).length > 0;
        return assigned && now.lag.total === 0 && (await s.tickCount()) === ticks.length
          ? now
          : undefined;
      },
      60_000,
      consumer,
    );
    const stored = await s.storedIdentities();
    expect(stored.length).toBe(ticks.length);
    expect(new Set(stored)).toEqual(new Set(ticks.map(tickIdentity)));
    expect(await storedBars(s.db)).toEqual(await barsFromStoredTicks(s.db));
    expect(await consumer.stop()).toBe(0);
  } finally {
    await consumer.kill().catch(() => {});
  }
}, 120_000);

test("Cassandra unreachable for longer than max.poll.interval.ms: readyz fails, consumption pauses, the member stays in its group, then everything is stored exactly once", async () => {
  const s = await fresh("cons_outage");
  const ticks = makeTicks(4, 1000);
  const cassandraPort = Number(stackEnv.CASSANDRA_CONTACT_POINTS.split(",")[0]?.split(":")[1]);
  const relayPort = await freePort();
  let relay = await startRelay(relayPort, cassandraPort);
  const maxPollIntervalMs = 8_000;
  const consumer = await s.start({
    CASSANDRA_CONTACT_POINTS: `127.0.0.1:${relayPort}`,
    CONSUMER_SESSION_TIMEOUT_MS: "6000",
    CONSUMER_MAX_POLL_INTERVAL_MS: String(maxPollIntervalMs),
  });
  try {
    await s.produce(ticks.slice(0, 2000));
    await waitFor(
      "first half stored",
      async () => {
        const now = await stats(consumer);
        return now.records.written >= 2000 && now.lag.total === 0 ? now : undefined;
      },
      30_000,
      consumer,
    );
    const outputBefore = consumer.output().length;
    await relay.close();
    const cutAt = Date.now();
    await s.produce(ticks.slice(2000));
    await waitFor(
      "readyz 503 naming Cassandra",
      async () => {
        const response = await fetch(`${consumer.url}/readyz`);
        const body = (await response.json()) as { checks: { cassandra: { ok: boolean } } };
        return response.status === 503 && !body.checks.cassandra.ok ? true : undefined;
      },
      20_000,
      consumer,
    );
    await waitFor(
      `the outage outlasting max.poll.interval.ms (${maxPollIntervalMs} ms) by 4 s`,
      async () => (Date.now() - cutAt > maxPollIntervalMs + 4_000 ? true : undefined),
      30_000,
    );
    relay = await startRelay(relayPort, cassandraPort);
    await waitFor(
      "all ticks stored after the outage",
      async () => {
        const now = await stats(consumer);
        return now.lag.total === 0 && now.records.written >= ticks.length ? now : undefined;
      },
      90_000,
      consumer,
    );
    const duringOutage = consumer.output().slice(outputBefore);
    expect(duringOutage).not.toContain('"event":"revoke"');
    expect(duringOutage).not.toContain("maximum poll interval");
    const stored = await s.storedIdentities();
    expect(stored.length).toBe(ticks.length);
    expect(new Set(stored)).toEqual(new Set(ticks.map(tickIdentity)));
    expect(await storedBars(s.db)).toEqual(await barsFromStoredTicks(s.db));
    expect((await fetch(`${consumer.url}/readyz`)).status).toBe(200);
    expect(await consumer.stop()).toBe(0);
  } finally {
    await consumer.kill().catch(() => {});
    await relay.close();
  }
}, 200_000);
