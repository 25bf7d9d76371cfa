/**
 * The bench's steady phase, timed from outside the consumer: ticks are POSTed to the real producer
 * at a fixed rate, each request carrying one probe trade (symbol PROBE, a unique event time), and a
 * reader polls Cassandra for the probe rows. A probe's latency runs from the producer's HTTP
 * acknowledgement (the record is in Kafka, acks=all) to its row being readable, so it covers the
 * producer's Kafka write, the consumer's fetch, batch and commit path, and Cassandra. Every sample
 * of the phase counts (exact percentiles over all of them, not a window).
 */
import type { Tick } from "@repo/contracts";
import { type RunningService, sampleTick } from "@repo/testkit";
import cassandra from "cassandra-driver";
import { postTicks } from "../src/e2e/harness.ts";

/** Requests per second: one probe each (15 s → 750 samples). */
const REQUESTS_PER_SECOND = 50;
/** How often the reader looks for probe rows: the resolution of every sample. */
const READ_EVERY_MS = 5;
const PROBE_SYMBOL = "PROBE";

export interface SteadyResult {
  achievedPerSecond: number;
  samples: number;
  /** Probes never readable within the drain timeout. */
  missing: number;
  fromAck: Percentiles;
  fromSend: Percentiles;
  /** Probes readable before their request's acknowledgement arrived (counted as 0 ms from it). */
  beforeAck: number;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of every sample. */
export function percentiles(samples: number[]): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
}

/**
 * Posts `rate` ticks/s for `seconds` (the mix from `mixed`, plus the probes) and waits until every
 * probe row is readable (at most `timeoutMs` after the last request).
 *
 * @example
 *   const result = await steadyPhase({ producer, db, rate: 2000, seconds: 15, mixed, timeoutMs: 120_000 });
 *   result.fromAck.p99; // ms from the producer's acknowledgement to the row being readable
 */
export async function steadyPhase(options: {
  producer: RunningService;
  db: cassandra.Client;
  rate: number;
  seconds: number;
  /** `count` ticks of the bench's mix at `nowUs`. */
  mixed: (count: number, nowUs: number, sequence: number) => Tick[];
  timeoutMs: number;
}): Promise<SteadyResult> {
  const { producer, db, rate, seconds } = options;
  const perRequest = Math.max(1, Math.round(rate / REQUESTS_PER_SECOND) - 1);
  const requests = seconds * REQUESTS_PER_SECOND;
  /** Per probe event time: when its request was sent and acknowledged (performance.now()). */
  const sentAt = new Map<number, number>();
  const ackAt = new Map<number, number>();
  const readableAt = new Map<number, number>();
  let lastProbeUs = 0;
  let posting = true;
  const started = performance.now();

  const reader = (async () => {
    const deadline = () =>
      !posting && performance.now() > started + seconds * 1000 + options.timeoutMs;
    while (!deadline()) {
      const waiting = [...sentAt.keys()].filter((us) => !readableAt.has(us));
      if (waiting.length === 0 && !posting) break;
      if (waiting.length > 0) {
        const oldest = Math.min(...waiting);
        const day = cassandra.types.LocalDate.fromString(
          new Date(oldest / 1000).toISOString().slice(0, 10),
        );
        const result = await db.execute(
          "SELECT event_time_us FROM ticks WHERE symbol = ? AND day = ? AND event_time_us >= ?",
          [PROBE_SYMBOL, day, oldest],
          { prepare: true },
        );
        const now = performance.now();
        for (const row of result.rows) {
          const us = (row.get("event_time_us") as cassandra.types.Long).toNumber();
          if (sentAt.has(us) && !readableAt.has(us)) readableAt.set(us, now);
        }
      }
      await Bun.sleep(READ_EVERY_MS);
    }
  })();

  let sequence = 1_000_000_000 * rate;
  const inFlight = new Set<Promise<void>>();
  for (let request = 0; request < requests; request += 1) {
    const due = started + (request * 1000) / REQUESTS_PER_SECOND;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    const nowUs = Math.max(Date.now() * 1000, lastProbeUs + 1);
    lastProbeUs = nowUs;
    const probe = sampleTick({
      source: "probe",
      symbol: PROBE_SYMBOL,
      kind: "TRADE",
      eventTime: nowUs,
      sequence: request,
      price: "100",
      size: 1,
      ingestTime: nowUs,
    });
    const ticks = [...options.mixed(perRequest, nowUs, sequence), probe];
    sequence += perRequest;
    sentAt.set(nowUs, performance.now());
    const posted = postTicks(producer, ticks).then(() => {
      ackAt.set(nowUs, performance.now());
    });
    inFlight.add(posted);
    void posted.finally(() => inFlight.delete(posted));
  }
  await Promise.all(inFlight);
  const produceSeconds = (performance.now() - started) / 1000;
  posting = false;
  await reader;

  const fromAck: number[] = [];
  const fromSend: number[] = [];
  let beforeAck = 0;
  for (const [us, readable] of readableAt) {
    const acked = ackAt.get(us) as number;
    if (readable < acked) beforeAck += 1;
    fromAck.push(Math.max(0, readable - acked));
    fromSend.push(readable - (sentAt.get(us) as number));
  }
  return {
    achievedPerSecond: (requests * (perRequest + 1)) / produceSeconds,
    samples: readableAt.size,
    missing: sentAt.size - readableAt.size,
    fromAck: percentiles(fromAck),
    fromSend: percentiles(fromSend),
    beforeAck,
  };
}
