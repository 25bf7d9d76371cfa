import type { Readiness } from "@repo/platform/http";

/**
 * Ready when the producer answers its own `/readyz` with 200 (so Kafka and the registry are up).
 *
 * @example
 *   await producerReadiness("http://127.0.0.1:3002"); // { ready: true, checks: { producer: { ok: true } } }
 */
export async function producerReadiness(
  producerUrl: string,
  timeoutMs = 2_000,
): Promise<Readiness> {
  try {
    const response = await fetch(`${producerUrl.replace(/\/$/, "")}/readyz`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    const ok = response.status === 200;
    return {
      ready: ok,
      checks: {
        producer: ok ? { ok } : { ok, detail: `producer /readyz answered ${response.status}` },
      },
    };
  } catch (error) {
    return {
      ready: false,
      checks: {
        producer: { ok: false, detail: `producer unreachable: ${(error as Error).message}` },
      },
    };
  }
}
