import type { Readiness } from "@repo/platform/http";
import { sleep } from "@repo/platform/retry";

/** A dependency check: true when it answers now. */
export type Probe = () => Promise<boolean>;

/**
 * The consumer's readiness: Kafka, Cassandra and the registry answer (probed every `intervalMs`
 * in the background, so `/readyz` never waits on a dead socket), and no pipeline step is being
 * retried. `refresh` runs after each round (the partition lag is refreshed there).
 *
 * @example
 *   const health = createHealthWatch({ probes: { kafka, cassandra, registry }, failingStep });
 *   health.start();
 *   health.readiness(); // { ready: false, checks: { pipeline: { ok: false, detail: "retrying writeTicks" }, … } }
 */
export function createHealthWatch(options: {
  probes: { kafka: Probe; cassandra: Probe; registry: Probe };
  failingStep: () => string | undefined;
  refresh?: () => Promise<void>;
  intervalMs?: number;
}) {
  const names = Object.keys(options.probes) as (keyof typeof options.probes)[];
  const ok: Record<string, boolean> = Object.fromEntries(names.map((name) => [name, false]));
  let stopped = false;
  let loop: Promise<void> | undefined;

  async function round() {
    const results = await Promise.all(
      names.map((name) => options.probes[name]().catch(() => false)),
    );
    names.forEach((name, i) => {
      ok[name] = results[i] ?? false;
    });
    await options.refresh?.().catch(() => {});
  }

  return {
    start() {
      loop = (async () => {
        while (!stopped) {
          await round();
          await sleep(options.intervalMs ?? 1000);
        }
      })();
    },
    async stop() {
      stopped = true;
      await loop;
    },
    /** Runs one round of probes now (tests, start-up). */
    round,
    healthy: (name: keyof typeof options.probes) => ok[name] ?? false,
    readiness(): Readiness {
      const failing = options.failingStep();
      const checks: Record<string, { ok: boolean; detail?: string }> = Object.fromEntries(
        names.map((name) => [name, { ok: ok[name] ?? false }]),
      );
      checks.pipeline = failing ? { ok: false, detail: `retrying ${failing}` } : { ok: true };
      return { ready: Object.values(checks).every((check) => check.ok), checks };
    },
  };
}
