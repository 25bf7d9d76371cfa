import { ConfigError } from "./config.ts";
import { AccessError } from "./errors.ts";
import type { Logger } from "./log.ts";

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
 *   await withRetry(connect, { shouldRetry: isRetriable }).catch((error) => exitIfRefused(log, error));
 */
export function exitIfRefused(log: Logger, error: unknown): void {
  if (!(error instanceof AccessError)) return;
  log.fatal({ server: error.server }, `cannot start: ${error.message}`);
  process.exit(2);
}
