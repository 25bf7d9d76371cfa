/**
 * The backfill bench's once-a-second sampler: the consumer's and producer's `/stats` and the
 * consumer's RSS, kept in order, failing fast when a watched service ends or anything is
 * dead-lettered.
 */
import type { ProducerStats } from "@repo/testkit";
import { rssOf } from "@repo/testkit/proc";

/** What the bench reads from the consumer's `/stats`. */
export interface ConsumerSample {
  records: { consumed: number; written: number; deadLettered: number };
  bars: { written: number; rebuilt: number; lateTicks: number };
  lag: { total: number };
  batches: { count: number; p50Ms: number | null; p99Ms: number | null };
  latency: { endToEndMs: { p50: number | null; p99: number | null } };
}

export interface Sample {
  at: number;
  consumer: ConsumerSample;
  producer: ProducerStats;
  rssMb: number;
}

interface Watched {
  name: string;
  ended(): unknown;
}

interface SamplerOptions {
  consumer: { url: string; pid: number };
  producer: { url: string };
  /** Services whose end fails the bench (until {@link Sampler.stopWatching} is called for one). */
  watched: Watched[];
  /** Throws when the bench is interrupted or past its deadline. */
  checkTime: (what: string) => void;
}

export interface Sampler {
  /** Every sample taken, oldest first. */
  samples: Sample[];
  /** Samples once a second until `until` holds for one, which it returns. */
  every(until: (s: Sample) => boolean, what: string): Promise<Sample>;
  /** A service that is meant to end from now on (e.g. ingest stopped by the bench). */
  stopWatching(service: Watched): void;
}

/**
 * @example
 * const { every } = createSampler({ consumer, producer, watched: [consumer, producer], checkTime });
 * const drained = await every((s) => s.consumer.lag.total === 0, "draining");
 */
export function createSampler({ consumer, producer, watched, checkTime }: SamplerOptions): Sampler {
  const samples: Sample[] = [];
  const watching = new Set(watched);
  const get = async <T>(url: string) =>
    (await (await fetch(`${url}/stats`, { signal: AbortSignal.timeout(5000) })).json()) as T;
  const sample = async (): Promise<Sample> => {
    const [c, p] = await Promise.all([
      get<ConsumerSample>(consumer.url),
      get<ProducerStats>(producer.url),
    ]);
    const s = { at: Date.now(), consumer: c, producer: p, rssMb: rssOf(consumer.pid).rssMb };
    samples.push(s);
    return s;
  };
  return {
    samples,
    stopWatching: (service) => watching.delete(service),
    async every(until, what) {
      for (;;) {
        checkTime(what);
        const next = Bun.sleep(1000);
        const s = await sample();
        for (const service of watching) {
          const ended = service.ended();
          if (ended) throw new Error(`${service.name} ended (${ended}) while ${what}`);
        }
        if (s.consumer.records.deadLettered > 0)
          throw new Error(`the consumer dead-lettered ${s.consumer.records.deadLettered} records`);
        if (until(s)) return s;
        await next;
      }
    },
  };
}
