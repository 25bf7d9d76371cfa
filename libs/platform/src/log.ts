import pino, { type Logger } from "pino";

export type { Logger };

/**
 * The one logger: JSON lines on stdout with the service name, secrets redacted.
 *
 * @example
 *   const log = createLogger("producer", "info");
 *   log.info({ topic }, "produced batch");
 */
export function createLogger(service: string, level: string): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        "*.password",
        "*.apiKey",
        "*.token",
        "*.secret",
        "*.headers.authorization",
        "*.key_secret",
      ],
      censor: "<redacted>",
    },
  });
}
