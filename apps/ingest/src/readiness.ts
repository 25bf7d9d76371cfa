import type { Readiness } from "@repo/platform/http";
import type { StreamProvider } from "./providers/provider.ts";

/**
 * Ready when the producer answers its own `/readyz` with 200 (so Kafka and the registry are up),
 * the forwarder is not holding batches it cannot deliver (`forwarding()` names why, e.g. the
 * producer has no schema yet), and every streaming provider is streaming or waiting for the market
 * to open (`stream.<name>` names the connection and its last error otherwise).
 *
 * @example
 *   await ingestReadiness("http://127.0.0.1:3002", forwarder.problem, [alpacaStream]);
 *   // { ready: true, checks: { producer: { ok: true }, forwarding: { ok: true }, "stream.alpaca": { ok: true } } }
 */
export async function ingestReadiness(
  producerUrl: string,
  forwarding: () => string | undefined = () => undefined,
  streams: readonly StreamProvider[] = [],
  timeoutMs = 2_000,
): Promise<Readiness> {
  const producer = await producerCheck(producerUrl, timeoutMs);
  const problem = forwarding();
  const forwardingCheck = problem === undefined ? { ok: true } : { ok: false, detail: problem };
  const checks: Readiness["checks"] = { producer, forwarding: forwardingCheck };
  for (const stream of streams) checks[`stream.${stream.name}`] = stream.check();
  return { ready: Object.values(checks).every((check) => check.ok), checks };
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
