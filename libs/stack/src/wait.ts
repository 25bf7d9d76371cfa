import { StackError } from "./ports.ts";
import { logFile, logTail, type Place, stackPlace } from "./process.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server's process ended before its probe answered (as opposed to answering too late). */
export class ExitedWhileStarting extends StackError {
  override name = "ExitedWhileStarting";
}

/**
 * Polls `probe` until it resolves a value, the process dies, or `timeoutMs` passes. On failure the
 * error carries the last lines of the component's log, so nothing ever hangs silently.
 */
export async function waitUntilReady<T>(
  name: string,
  probe: () => Promise<T>,
  options: { timeoutMs: number; alive: () => boolean; place?: Place },
): Promise<T> {
  const place = options.place ?? stackPlace;
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await probe();
    } catch (error) {
      lastError = error;
    }
    if (!options.alive()) {
      throw new ExitedWhileStarting(
        `${name} exited while starting (${describe(lastError)}). Last lines of ${logFile(name, place)}:\n${logTail(name, 30, place)}`,
      );
    }
    await sleep(500);
  }
  throw new StackError(
    `${name} did not answer within ${Math.round(options.timeoutMs / 1000)} s (${describe(lastError)}). ` +
      `Last lines of ${logFile(name, place)}:\n${logTail(name, 30, place)}`,
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
