import { ConfigError } from "./config.ts";
import { AccessError } from "./errors.ts";
import { type ServiceApp, startServer } from "./http.ts";
import { createLogger, type Logger } from "./log.ts";
import { withRetry } from "./retry.ts";
import { createStats, type Stats } from "./stats.ts";

/**
 * Loads a service's configuration at start-up, the same way in every service: a bad or missing
 * variable prints the message naming it (secrets redacted) and exits with code 2, no stack trace.
 *
 * @example
 *   const config = configOrExit(loadProducerConfig);
 */
export function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}

/**
 * Ends the process with code 2 when a server refused access (an {@link AccessError}: wrong
 * credentials, an untrusted certificate), logging the message that names the setting to fix;
 * any other error is left to the caller. Retrying such a refusal would only hide it.
 *
 * @example
 *   await withRetry(connect).catch((error) => exitIfRefused(log, error));
 */
export function exitIfRefused(log: Logger, error: unknown): void {
  if (!(error instanceof AccessError)) return;
  log.fatal({ server: error.server }, `cannot start: ${error.message}`);
  process.exit(2);
}

/** What every service's configuration carries: `httpEnv(port)` and its shutdown grace. */
export interface ServiceConfig {
  HOST: string;
  PORT: number;
  LOG_LEVEL: string;
  /** How long a SIGTERM may take: requests answered, clients closed; longer exits 1. */
  SHUTDOWN_GRACE_MS: number;
}

/** Options of {@link Service.untilConnected}. */
export interface ConnectOptions {
  /** Longest wait between attempts (default 5 s; the first waits 0.5 s). */
  maxDelayMs?: number;
  /** Logs each failed attempt (default: a warning `<what> not reachable yet; retrying`). */
  onRetry?: (error: unknown, attempt: number) => void;
}

/** A service being started: its configuration, logger and stats, and how it serves and stops. */
export interface Service<C extends ServiceConfig> {
  readonly config: C;
  readonly log: Logger;
  readonly stats: Stats;
  /** Aborted once shutdown begins (after accepted requests were answered): stops retry loops. */
  readonly stopping: AbortSignal;
  /**
   * Retries `connect` with jittered, capped backoff until it succeeds (true) or the service stops
   * (false). A refusal retrying cannot fix (wrong credentials, untrusted certificate: an
   * `AccessError`) exits 2 naming the setting; any other non-retriable error is thrown.
   */
  untilConnected(
    what: string,
    connect: () => Promise<void>,
    options?: ConnectOptions,
  ): Promise<boolean>;
  /**
   * Serves `app` on `HOST:PORT` and installs the graceful shutdown: on SIGTERM/SIGINT the app
   * answers 503 (but `/healthz`), requests already accepted are answered, {@link stopping} aborts,
   * then `shutdown` closes the clients, all within `SHUTDOWN_GRACE_MS` (+ `extraGraceMs`).
   */
  serve(app: ServiceApp, shutdown: () => Promise<void>, options?: { extraGraceMs?: number }): void;
}

/**
 * The one start path of every service: loads the configuration ({@link configOrExit}: a bad
 * variable exits 2 naming it), creates the logger and the stats registry, then serves HTTP with
 * graceful shutdown. `main.ts` wires what lies between.
 *
 * @example
 *   const { config, log, stats, stopping, serve, untilConnected } = bootService("producer", loadProducerConfig);
 *   const app = createProducerApp({ … });
 *   serve(app, async () => kafka.disconnect());
 *   await untilConnected("Kafka", () => kafka.connect());
 */
export function bootService<C extends ServiceConfig>(name: string, load: () => C): Service<C> {
  const config = configOrExit(load);
  const log = createLogger(name, config.LOG_LEVEL);
  const stats = createStats();
  const stopping = new AbortController();
  return {
    config,
    log,
    stats,
    stopping: stopping.signal,
    async untilConnected(what, connect, options = {}) {
      if (stopping.signal.aborted) return false;
      try {
        await withRetry(connect, {
          retries: Number.POSITIVE_INFINITY,
          minDelayMs: 500,
          maxDelayMs: options.maxDelayMs ?? 5_000,
          signal: stopping.signal,
          onRetry: (error, attempt) => {
            if (options.onRetry) options.onRetry(error, attempt);
            else log.warn({ err: error, attempt }, `${what} not reachable yet; retrying`);
          },
        });
        return true;
      } catch (error) {
        exitIfRefused(log, error);
        if (stopping.signal.aborted) return false;
        throw error;
      }
    },
    serve(app, shutdown, options = {}) {
      startServer({
        app,
        host: config.HOST,
        port: config.PORT,
        log,
        graceMs: config.SHUTDOWN_GRACE_MS + (options.extraGraceMs ?? 0),
        async shutdown() {
          stopping.abort();
          await shutdown();
        },
      });
    },
  };
}
