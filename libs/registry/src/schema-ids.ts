import { PipelineError } from "@repo/platform/errors";

/** Fetches the latest schema id of a subject; rejects with `{ status }` like the registry client does. */
export type LatestIdLookup = (subject: string) => Promise<number>;

/**
 * No schema is registered under the subject: the deployment is missing `bun run schemas:push`.
 * Retriable: it succeeds once the schemas are pushed, and nothing here registers them itself.
 */
export class UnknownSubjectError extends PipelineError {
  override name = "UnknownSubjectError";
  constructor(readonly subject: string) {
    super(`no schema is registered under subject "${subject}"`, { retriable: true });
  }
}

/** The registry did not answer (down, timing out): retriable. */
export class RegistryUnavailableError extends PipelineError {
  override name = "RegistryUnavailableError";
  constructor(
    readonly subject: string,
    cause: unknown,
  ) {
    super(
      `schema registry did not answer for ${JSON.stringify(subject)}: ${(cause as Error)?.message ?? String(cause)}`,
      { retriable: true, cause },
    );
  }
}

export interface SchemaIdCache {
  /** The latest schema id of `subject`: cached for `ttlMs`, and kept past it while the registry is unreachable. */
  idFor(subject: string): Promise<number>;
  /** Subjects with an id in the cache. */
  size(): number;
}

/**
 * Caches subject → latest schema id so that, once warm, a registry outage does not stop producing.
 *
 * @example
 *   const ids = createSchemaIdCache((subject) => registry.getLatestSchemaId(subject), { ttlMs: 60_000 });
 *   await ids.idFor("market.ticks-value"); // 1
 */
export function createSchemaIdCache(
  lookup: LatestIdLookup,
  options: {
    ttlMs: number;
    now?: () => number;
    onStale?: (subject: string, error: unknown) => void;
  },
): SchemaIdCache {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { id: number; fetchedAt: number }>();
  const inFlight = new Map<string, Promise<number>>();

  const fetch = (subject: string): Promise<number> => {
    const running = inFlight.get(subject);
    if (running) return running;
    const request = lookup(subject)
      .then((id) => {
        cache.set(subject, { id, fetchedAt: now() });
        return id;
      })
      .catch((error: unknown) => {
        const cached = cache.get(subject);
        if ((error as { status?: number })?.status === 404) {
          cache.delete(subject);
          throw new UnknownSubjectError(subject);
        }
        if (cached) {
          options.onStale?.(subject, error);
          return cached.id;
        }
        throw new RegistryUnavailableError(subject, error);
      })
      .finally(() => inFlight.delete(subject));
    inFlight.set(subject, request);
    return request;
  };

  return {
    idFor(subject) {
      const cached = cache.get(subject);
      if (cached && now() - cached.fetchedAt < options.ttlMs) return Promise.resolve(cached.id);
      return fetch(subject);
    },
    size: () => cache.size,
  };
}
