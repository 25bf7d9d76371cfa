import { describe, expect, test } from "bun:test";
import { cleanupsAfterEach, freePort, until } from "@repo/testkit";
import { createSimulator } from "../providers/simulator.ts";
import { createReadiness } from "../readiness.ts";
import { forwardingHarness } from "../testing/ingest.ts";

interface ReceivedRecord {
  key: string;
  value: { symbol: string; sequence: number };
}

/** A stand-in for the producer's records endpoint that can go down and come back on one port. */
function fakeProducer(
  port: number,
  answer: (records: ReceivedRecord[]) => Response = () => Response.json({ offsets: [] }),
) {
  const received: ReceivedRecord[][] = [];
  let server: ReturnType<typeof Bun.serve> | undefined;
  return {
    received,
    records: () => received.flat(),
    up() {
      server = Bun.serve({
        hostname: "127.0.0.1",
        port,
        async fetch(request) {
          if (request.method === "GET") return Response.json({ ready: true, checks: {} });
          const body = (await request.json()) as { records: ReceivedRecord[] };
          received.push(body.records);
          return answer(body.records);
        },
      });
    },
    down: () => server?.stop(true),
  };
}

function harness(port: number, capacity: number, batchSize = 50, lanes = 1) {
  const { stats, buffer, forwarder, ingest } = forwardingHarness(`http://127.0.0.1:${port}`, {
    capacity,
    lanes,
    gates: { maxStalenessMs: 60_000, maxPriceJump: 0.5 },
    forwarder: { batchSize },
  });
  return { stats, buffer, forwarder, ingest };
}

const sequencesBySymbol = (records: { symbol: string; sequence: number }[]) => {
  const out: Record<string, number[]> = {};
  for (const r of records) out[r.symbol] = [...(out[r.symbol] ?? []), r.sequence];
  return out;
};

const cleanups = cleanupsAfterEach();

describe("forwarding to the producer", () => {
  test("producer down then up: every buffered record arrives, in order per symbol, in bounded batches over concurrent lanes", async () => {
    const port = await freePort();
    const producer = fakeProducer(port);
    const { stats, buffer, forwarder, ingest } = harness(port, 10_000, 50, 3);
    const simulator = createSimulator({
      seed: 5,
      symbols: ["AAPL", "MSFT", "NVDA"],
      ticksPerPoll: 120,
    });
    forwarder.start();
    cleanups.push(() => forwarder.stop(1_000), producer.down);
    for (let i = 0; i < 5; i += 1) await ingest.poll(simulator);
    expect(buffer.size).toBe(600);
    producer.up();
    await until(() => stats.counter("records.forwarded").value === 600);
    expect(buffer.size).toBe(0);
    expect(producer.received.every((batch) => batch.length <= 50)).toBe(true);
    const arrived = producer.records();
    expect(arrived).toHaveLength(600);
    expect(arrived.every((r) => r.key === r.value.symbol)).toBe(true);
    const upTo200 = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(sequencesBySymbol(arrived.map((r) => r.value))).toEqual({
      AAPL: upTo200,
      MSFT: upTo200,
      NVDA: upTo200,
    });
  });

  test("beyond capacity the dropped count is exact and the buffered records are still delivered", async () => {
    const port = await freePort();
    const producer = fakeProducer(port);
    const { stats, buffer, forwarder, ingest } = harness(port, 100, 50, 2);
    const simulator = createSimulator({ seed: 6, symbols: ["AAPL", "MSFT"], ticksPerPoll: 70 });
    forwarder.start();
    cleanups.push(() => forwarder.stop(1_000), producer.down);
    for (let i = 0; i < 4; i += 1) await ingest.poll(simulator);
    expect(buffer.size).toBe(100);
    expect(ingest.snapshot([]).records).toMatchObject({ fetched: 280, dropped: 180, forwarded: 0 });
    producer.up();
    await until(() => stats.counter("records.forwarded").value === 100);
    const arrived = producer.records().map((r) => r.value);
    expect(sequencesBySymbol(arrived)).toEqual({
      AAPL: Array.from({ length: 50 }, (_, i) => i + 1),
      MSFT: Array.from({ length: 50 }, (_, i) => i + 1),
    });
    expect(ingest.snapshot([]).buffer).toEqual({ size: 0, capacity: 100 });
  });

  test("a 422 naming records drops exactly those and delivers the rest; it is never retried forever", async () => {
    const port = await freePort();
    let first = true;
    const producer = fakeProducer(port, () => {
      if (!first) return Response.json({ offsets: [] });
      first = false;
      return Response.json(
        {
          error: {
            code: "invalid_records",
            message: "bad",
            records: [{ index: 1, path: "records[1].value.price", message: "x" }],
          },
        },
        { status: 422 },
      );
    });
    producer.up();
    const { stats, buffer, forwarder } = harness(port, 100, 10);
    cleanups.push(() => forwarder.stop(1_000), producer.down);
    const ticks = createSimulator({ seed: 1, symbols: ["AAPL"], ticksPerPoll: 0 }).next(5);
    buffer.offer(ticks);
    forwarder.start();
    await until(() => stats.counter("records.forwarded").value === 4);
    expect(stats.counter("records.rejected.producer_rejected").value).toBe(1);
    expect(producer.received.map((batch) => batch.map((r) => r.value.sequence))).toEqual([
      [1, 2, 3, 4, 5],
      [1, 3, 4, 5],
    ]);
  });

  test("a 422 without record indices refuses the whole batch once", async () => {
    const port = await freePort();
    const producer = fakeProducer(port, () =>
      Response.json({ error: { code: "invalid_records", message: "bad" } }, { status: 422 }),
    );
    producer.up();
    const { stats, buffer, forwarder } = harness(port, 100, 10);
    cleanups.push(() => forwarder.stop(1_000), producer.down);
    buffer.offer(createSimulator({ seed: 1, symbols: ["AAPL"], ticksPerPoll: 0 }).next(3));
    forwarder.start();
    await until(() => stats.counter("records.rejected.producer_rejected").value === 3);
    await until(() => buffer.size === 0);
    expect(producer.received).toHaveLength(1);
    expect(stats.counter("records.forwarded").value).toBe(0);
  });

  test("a partial batch is sent once it has waited the linger time", async () => {
    const port = await freePort();
    const producer = fakeProducer(port);
    producer.up();
    const { stats, buffer, forwarder } = harness(port, 100, 1_000);
    cleanups.push(() => forwarder.stop(1_000), producer.down);
    forwarder.start();
    buffer.offer(createSimulator({ seed: 1, symbols: ["AAPL"], ticksPerPoll: 0 }).next(3));
    forwarder.notify();
    await until(() => stats.counter("records.forwarded").value === 3, "3 not forwarded", 2_000);
    expect(producer.received).toEqual([expect.any(Array)]);
  });

  test("404 unknown_subject holds every record, /readyz names the reason, and all arrive once schemas are pushed", async () => {
    const port = await freePort();
    let schemasPushed = false;
    const producer = fakeProducer(port, () =>
      schemasPushed
        ? Response.json({ offsets: [] })
        : Response.json(
            {
              error: {
                code: "unknown_subject",
                message: "subject market.ticks-value not found",
                subject: "market.ticks-value",
              },
            },
            { status: 404 },
          ),
    );
    producer.up();
    const { buffer, forwarder, ingest } = harness(port, 1_000, 10);
    cleanups.push(() => forwarder.stop(1_000), producer.down);
    buffer.offer(createSimulator({ seed: 2, symbols: ["AAPL"], ticksPerPoll: 0 }).next(25));
    forwarder.start();
    await until(() => producer.received.length >= 3);
    const held = await createReadiness({
      producerUrl: `http://127.0.0.1:${port}`,
      forwarding: forwarder.problem,
    }).round();
    expect(held.ready).toBe(false);
    expect(held.checks.forwarding?.detail).toMatch(
      /market\.ticks-value.*unknown_subject.*holding 25 buffered records/,
    );
    expect(buffer.size).toBe(25);
    expect(ingest.snapshot([]).records.rejected).toMatchObject({ producer_rejected: 0 });

    schemasPushed = true;
    await until(() => ingest.snapshot([]).records.forwarded === 25);
    const sequences = [...new Set(producer.records().map((r) => r.value.sequence))];
    expect(sequences).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(Object.values(ingest.snapshot([]).records.rejected).every((n) => n === 0)).toBe(true);
    expect(
      (
        await createReadiness({
          producerUrl: `http://127.0.0.1:${port}`,
          forwarding: forwarder.problem,
        }).round()
      ).ready,
    ).toBe(true);
  });

  test("413 splits the batch in halves down to one record: the record too large on its own is counted as producer_too_large, every other arrives in order", async () => {
    const port = await freePort();
    const HUGE = 7;
    const producer = fakeProducer(port, (records) =>
      records.length > 4 || records.some((r) => r.value.sequence === HUGE)
        ? Response.json(
            { error: { code: "body_too_large", message: "too large" } },
            { status: 413 },
          )
        : Response.json({ offsets: [] }),
    );
    producer.up();
    const { buffer, forwarder, ingest } = harness(port, 1_000, 20);
    cleanups.push(() => forwarder.stop(1_000), producer.down);
    buffer.offer(createSimulator({ seed: 3, symbols: ["AAPL"], ticksPerPoll: 0 }).next(20));
    forwarder.start();
    await until(() => buffer.size === 0);
    expect(ingest.snapshot([]).records).toMatchObject({
      forwarded: 19,
      rejected: expect.objectContaining({ producer_too_large: 1, producer_rejected: 0 }),
    });
    const accepted = producer.received.filter(
      (batch) => batch.length <= 4 && !batch.some((r) => r.value.sequence === HUGE),
    );
    expect(accepted.flat().map((r) => r.value.sequence)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1).filter((n) => n !== HUGE),
    );
    expect(
      producer.received.filter((batch) => batch.length === 1 && batch[0]?.value.sequence === HUGE),
    ).toHaveLength(1);
  });

  test("a 400 for too many records splits the batch until the producer takes it; nothing is refused", async () => {
    const port = await freePort();
    const producer = fakeProducer(port, (records) =>
      records.length > 8
        ? Response.json(
            {
              error: {
                code: "invalid_request",
                message: "records: must hold at most 8 records per request",
                issues: [{ path: "records", message: "must hold at most 8 records per request" }],
              },
            },
            { status: 400 },
          )
        : Response.json({ offsets: [] }),
    );
    producer.up();
    const { buffer, forwarder, ingest } = harness(port, 1_000, 50, 2);
    cleanups.push(() => forwarder.stop(1_000), producer.down);
    buffer.offer(createSimulator({ seed: 4, symbols: ["AAPL", "MSFT"], ticksPerPoll: 0 }).next(90));
    forwarder.start();
    await until(() => ingest.snapshot([]).records.forwarded === 90);
    expect(Object.values(ingest.snapshot([]).records.rejected).every((n) => n === 0)).toBe(true);
    const delivered = producer.received.filter((batch) => batch.length <= 8).flat();
    expect(delivered).toHaveLength(90);
    const bySymbol = sequencesBySymbol(delivered.map((r) => r.value));
    for (const sequences of Object.values(bySymbol))
      expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, i) => i + 1));
  });

  test("a 400 naming a field of a record still refuses the batch once as producer_rejected", async () => {
    const port = await freePort();
    const producer = fakeProducer(port, () =>
      Response.json(
        {
          error: {
            code: "invalid_request",
            message: "records[1].key: must not be empty",
            issues: [{ path: "records[1].key", message: "must not be empty" }],
          },
        },
        { status: 400 },
      ),
    );
    producer.up();
    const { buffer, forwarder, ingest } = harness(port, 100, 10);
    cleanups.push(() => forwarder.stop(1_000), producer.down);
    buffer.offer(createSimulator({ seed: 1, symbols: ["AAPL"], ticksPerPoll: 0 }).next(4));
    forwarder.start();
    await until(() => buffer.size === 0);
    expect(producer.received).toHaveLength(1);
    expect(ingest.snapshot([]).records.rejected).toMatchObject({ producer_rejected: 4 });
  });
});
