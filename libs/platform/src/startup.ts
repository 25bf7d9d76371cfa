import { ConfigError } from "./config.ts";

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
