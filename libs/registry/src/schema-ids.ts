import { PipelineError } from "@repo/platform/errors";
import { RegistryUnavailableError, UnknownSubjectError } from "./errors.ts";

export { RegistryUnavailableError, UnknownSubjectError };

/**
 * Fetches the latest schema id of a subject; rejects with {@link UnknownSubjectError} when the
 * registry has no such subject, and with another error when it cannot tell.
 */
export type LatestIdLookup = (subject: string) => Promise<number>;

export interface SchemaIdCache {
  /**
   * The latest schema id of `subject`: cached for `ttlMs`; past it, the cached id is answered at
   * once while a refresh runs in the background, so a registry that hangs or is down never holds
   * back a caller that has an id.
   */
  idFor(subject: string): Promise<number>;
  /** Subjects with an id in the cache. */
  size(): number;
}

/**
 * Caches subject → latest schema id so that, once warm, a registry outage does not stop producing.
 * A refresh that fails keeps the cached id (and reports it through `onStale`); a subject the
 * registry no longer knows is dropped.
 *
 * @example
 *   const ids = createSchemaIdCache((subject) => registry.latestId(subject), { ttlMs: 60_000 });
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
        if (error instanceof UnknownSubjectError) {
          cache.delete(subject);
          throw error;
        }
        const cached = cache.get(subject);
        if (cached) {
          options.onStale?.(subject, error);
          return cached.id;
        }
        throw error instanceof PipelineError ? error : new RegistryUnavailableError(subject, error);
      })
      .finally(() => inFlight.delete(subject));
    inFlight.set(subject, request);
    return request;
  };

  return {
    idFor(subject) {
      const cached = cache.get(subject);
      if (!cached) return fetch(subject);
      if (now() - cached.fetchedAt >= options.ttlMs) fetch(subject).catch(() => {});
      return Promise.resolve(cached.id);
    },
    size: () => cache.size,
  };
}
