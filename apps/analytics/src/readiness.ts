import type { Readiness } from "@repo/platform/http";
import { sleep } from "@repo/platform/retry";

/** A dependency check: true when it answers now. */
export type Probe = () => Promise<boolean>;

/**
 * Analytics readiness: Kafka, Cassandra and the registry answer (probed every `intervalMs` in the
 * background, so `/readyz` never waits on a dead socket) and no step of the loop is being retried.
 * `refresh` runs after each round (partition lag, alert rules).
 *
 * @example
 *   const health = createHealthWatch({ probes: { kafka, cassandra, registry }, failingStep: runner.failingStep });
 *   health.start();
 */
export function createHealthWatch(options: {
  probes: Record<string, Probe>;
  failingStep: () => string | undefined;
  refresh?: () => Promise<void>;
  intervalMs?: number;
}) {
  const names = Object.keys(options.probes);
  const ok: Record<string, boolean> = Object.fromEntries(names.map((name) => [name, false]));
  let stopped = false;
  let loop: Promise<void> | undefined;

  async function round() {
    const results = await Promise.all(
      names.map((name) => (options.probes[name] as Probe)().catch(() => false)),
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
    round,
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
