/** One progress report of a backfill. */
export interface Progress {
  event: "start" | "progress" | "done" | "failed" | "interrupted";
  unitsDone: number;
  units: number;
  /** The unit being loaded (`2026-11-20/trades`). */
  unit?: string;
  page?: number;
  fetched: number;
  forwarded: number;
  rejected: number;
  dropped: number;
  ticksPerSecond: number;
  detail?: string;
}

export interface ProgressReporter {
  report(progress: Progress): void;
  /** Ends the bar's line (TTY). */
  close(): void;
}

/**
 * JSON lines on a stream (`{"event":"progress",…}` per page), for logs and pipes.
 *
 * @example
 *   const reporter = jsonProgress((line) => process.stdout.write(line));
 */
export function jsonProgress(write: (line: string) => void): ProgressReporter {
  return {
    report: (progress) =>
      write(`${JSON.stringify({ ...progress, at: new Date().toISOString() })}\n`),
    close() {},
  };
}

/**
 * A one-line progress bar redrawn in place on a terminal; start, end and failures get lines of
 * their own.
 *
 * @example
 *   const reporter = barProgress((text) => process.stderr.write(text), 80);
 */
export function barProgress(write: (text: string) => void, columns = 80): ProgressReporter {
  let drawn = false;
  return {
    report(progress) {
      const ratio = progress.units === 0 ? 1 : progress.unitsDone / progress.units;
      const width = 24;
      const filled = Math.round(ratio * width);
      const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
      const counts = `${progress.unitsDone}/${progress.units} ${progress.unit ?? ""}${progress.page ? ` p${progress.page}` : ""}  fetched ${progress.fetched.toLocaleString("en-US")}  sent ${progress.forwarded.toLocaleString("en-US")}  rejected ${progress.rejected}  ${Math.round(progress.ticksPerSecond).toLocaleString("en-US")}/s`;
      const line = `[${bar}] ${Math.round(ratio * 100)}% ${counts}`.slice(
        0,
        Math.max(20, columns - 1),
      );
      if (progress.event === "progress") {
        write(`\r\x1b[2K${line}`);
        drawn = true;
        return;
      }
      if (drawn) write("\n");
      drawn = false;
      write(`${progress.event}: ${line}${progress.detail ? `\n  ${progress.detail}` : ""}\n`);
    },
    close() {
      if (drawn) write("\n");
      drawn = false;
    },
  };
}
