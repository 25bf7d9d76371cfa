import { type Check, createReadinessWatch, type ReadinessWatch } from "@repo/platform/http";
import type { StreamProvider } from "./providers/provider.ts";

/**
 * Ready when the producer answers its own `/readyz` with 200 (so Kafka and the registry are up),
 * the forwarder is not holding batches it cannot deliver (`forwarding()` names why, e.g. the
 * producer has no schema yet), and every streaming provider is streaming or waiting for the market
 * to open (`stream.<name>` names the connection and its last error otherwise). The producer answers
 * `/readyz` from memory, so ingest asks it at each of its own `/readyz` (`round()`).
 *
 * @example
 *   const health = createReadiness({ producerUrl: "http://127.0.0.1:3002", forwarding: forwarder.problem, streams });
 *   await health.round();
 *   // { ready: true, checks: { producer: { ok: true }, forwarding: { ok: true }, "stream.alpaca": { ok: true } } }
 */
export function createReadiness(options: {
  producerUrl: string;
  forwarding?: () => string | undefined;
  streams?: readonly StreamProvider[];
  timeoutMs?: number;
}): ReadinessWatch {
  return createReadinessWatch({
    timeoutMs: options.timeoutMs ?? 2_000,
    probes: { producer: (timeoutMs) => producerCheck(options.producerUrl, timeoutMs) },
    checks: () => {
      const problem = options.forwarding?.();
      const checks: Record<string, Check> = {
        forwarding: problem === undefined ? { ok: true } : { ok: false, detail: problem },
      };
      for (const stream of options.streams ?? []) checks[`stream.${stream.name}`] = stream.check();
      return checks;
    },
  });
}

async function producerCheck(producerUrl: string, timeoutMs: number): Promise<Check> {
  try {
    const response = await fetch(`${producerUrl.replace(/\/$/, "")}/readyz`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    const ok = response.status === 200;
    return ok ? { ok } : { ok, detail: `producer /readyz answered ${response.status}` };
  } catch (error) {
    return { ok: false, detail: `producer unreachable: ${(error as Error).message}` };
  }
}
