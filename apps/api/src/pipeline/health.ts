import type { ServiceHealth } from "../http/responses.ts";

export type { ServiceHealth };

/**
 * Reads every pipeline service's `/stats` at once for the dashboard (the browser only talks to the
 * api, so the services stay bound to loopback and need no CORS). A service that does not answer
 * within `timeoutMs` is reported with the reason, never as an error of the whole answer.
 *
 * @example
 *   const probe = createPipelineProbe({ ingest: "http://127.0.0.1:3001", producer: "…" });
 *   await probe(); // [{ service: "ingest", ok: true, stats: { … } }, …]
 */
export function createPipelineProbe(services: Record<string, string>, timeoutMs = 2_000) {
  return () =>
    Promise.all(
      Object.entries(services).map(async ([service, url]): Promise<ServiceHealth> => {
        try {
          const response = await fetch(`${url.replace(/\/$/, "")}/stats`, {
            signal: AbortSignal.timeout(timeoutMs),
          });
          if (!response.ok) {
            await response.body?.cancel();
            return { service, url, ok: false, error: `/stats answered ${response.status}` };
          }
          return {
            service,
            url,
            ok: true,
            stats: (await response.json()) as Record<string, unknown>,
          };
        } catch (error) {
          return { service, url, ok: false, error: `unreachable: ${(error as Error).message}` };
        }
      }),
    );
}
