import type { Logger } from "@repo/platform/log";
import pino from "pino";

/** A pino logger whose lines are kept in memory, so tests can assert on what was logged. */
export function captureLog(): { log: Logger; text: () => string } {
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
  return { log, text: () => lines.join("") };
}
