import { Hono } from "hono";
import { ApiError } from "./errors.ts";

/**
 * A Hono app that knows the requests it is answering, so a graceful shutdown can refuse new ones
 * ({@link ServiceApp.drain}) and wait for the accepted ones ({@link ServiceApp.settled}) before
 * the service closes its clients. {@link createServiceApp} builds one with the shared routes.
 *
 * @example
 *   app.drain();
 *   await app.settled(10_000); // then close Kafka, Cassandra…
 */
export class ServiceApp extends Hono {
  #draining = false;
  #active = 0;
  readonly #idle = new Set<() => void>();

  constructor(readonly service: string) {
    super();
    this.use(async (c, next) => {
      if (this.#draining && c.req.path !== "/healthz") {
        throw new ApiError(
          503,
          "shutting_down",
          `${service} is shutting down`,
          {},
          { "Retry-After": "5", Connection: "close" },
        );
      }
      this.#active += 1;
      try {
        await next();
        // Answered during a shutdown: the client must not reuse the connection, or an idle
        // keep-alive connection would hold the server's close until the grace runs out.
        if (this.#draining) c.header("Connection", "close");
      } finally {
        this.#active -= 1;
        if (this.#active === 0) for (const notify of this.#idle) notify();
      }
    });
  }

  /** Whether the app refuses new requests (after {@link drain}). */
  get draining(): boolean {
    return this.#draining;
  }

  /** Makes the app answer 503 to everything but `/healthz` (graceful shutdown). */
  drain(): void {
    this.#draining = true;
  }

  /**
   * Resolves once every request the app accepted has been answered, or after `timeoutMs`
   * (true when all were answered).
   */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.#active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (answered: boolean) => {
        clearTimeout(timer);
        this.#idle.delete(notify);
        resolve(answered);
      };
      const notify = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#idle.add(notify);
    });
  }
}
