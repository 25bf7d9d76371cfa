import type { Readiness } from "@repo/platform/http";

/**
 * Ready when the producer answers its own `/readyz` with 200 (so Kafka and the registry are up)
 * and the forwarder is not holding batches it cannot deliver (`forwarding()` names why, e.g. the
 * producer has no schema yet).
 *
 * @example
 *   await ingestReadiness("http://127.0.0.1:3002", forwarder.problem);
 *   // { ready: true, checks: { producer: { ok: true }, forwarding: { ok: true } } }
 */
export async function ingestReadiness(
  producerUrl: string,
  forwarding: () => string | undefined = () => undefined,
  timeoutMs = 2_000,
): Promise<Readiness> {
  const producer = await producerCheck(producerUrl, timeoutMs);
  const problem = forwarding();
  const forwardingCheck = problem === undefined ? { ok: true } : { ok: false, detail: problem };
  return {
    ready: producer.ok && forwardingCheck.ok,
    checks: { producer, forwarding: forwardingCheck },
  };
}

async function producerCheck(
  producerUrl: string,
  timeoutMs: number,
): Promise<{ ok: boolean; detail?: string }> {
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
