import { fromJson, type Tick } from "@repo/contracts";
import type { Logger } from "@repo/platform/log";
import { sleep } from "@repo/platform/retry";
import { isRecord } from "./fields.ts";
import { offerPaced, type PollResult, type StreamProvider, type TickSink } from "./provider.ts";

export interface ReplayOptions {
  /** An NDJSON file of ticks in the producer's JSON form, or a CSV with those field names as header. */
  file: string;
  /** N× the recorded pace; 0 replays as fast as the buffer takes it. */
  speed: number;
  /** Re-stamp event times so the first tick happens now (live-looking data, new identities). */
  shiftTime: boolean;
  /** Start over at the end (with `shiftTime`, an endless demo feed). */
  loop: boolean;
  log: Logger;
  now?: () => number;
  /** Most ticks offered at once. */
  batchSize?: number;
}

type State = "starting" | "replaying" | "finished" | "failed" | "stopped";

/**
 * Streams a recorded file of ticks at N× speed through the shared sink: the pace comes from the
 * ticks' event times, and the replay waits for buffer room instead of dropping. By default ticks
 * keep their recorded event times (and so their identities: replaying a file twice stores each tick
 * once; the staleness gate is skipped as for history); `shiftTime` moves them to now.
 *
 * NDJSON lines are the producer's record JSON (`{"source","symbol","kind","eventTime":"…Z",
 * "sequence","price":"187.25",…}`); CSV files have a header naming the same fields. `ingestTime`
 * is always the replay's own.
 *
 * @example
 *   const replay = createReplayProvider({ file: "ticks.ndjson", speed: 10, shiftTime: false, loop: false, log });
 *   replay.start(ingest.sinkFor("replay"));
 */
export function createReplayProvider(options: ReplayOptions): StreamProvider {
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 500;
  const stopping = new AbortController();
  const counts = { lines: 0, offered: 0, accepted: 0, rejected: 0, malformed: 0, passes: 0 };
  let state: State = "starting";
  let failure: string | undefined;
  let loop: Promise<void> | undefined;

  async function pass(sink: TickSink) {
    const started = now();
    let firstEventTime: number | undefined;
    let batch: PollResult = { ticks: [], malformed: [] };
    const flush = async () => {
      if (batch.ticks.length === 0 && batch.malformed.length === 0) return;
      const outcome = await offerPaced(
        sink,
        batch,
        { history: !options.shiftTime },
        stopping.signal,
      );
      counts.offered += batch.ticks.length;
      counts.accepted += outcome.accepted;
      counts.rejected += outcome.rejected;
      batch = { ticks: [], malformed: [] };
    };
    const csv = /\.csv$/i.test(options.file);
    let header: string[] | undefined;
    for await (const line of readLines(options.file)) {
      if (stopping.signal.aborted) return;
      if (line.trim() === "") continue;
      if (csv && !header) {
        header = splitCsv(line).map((name) => name.trim());
        continue;
      }
      counts.lines += 1;
      const parsed = csv ? csvRecord(header ?? [], line) : jsonRecord(line);
      if (typeof parsed === "string") {
        counts.malformed += 1;
        batch.malformed.push(`replay line ${counts.lines}: ${parsed}`);
        continue;
      }
      firstEventTime ??= parsed.eventTime;
      const offsetMicros = parsed.eventTime - firstEventTime;
      const dueMs =
        options.speed > 0
          ? started + offsetMicros / 1000 / options.speed
          : Number.NEGATIVE_INFINITY;
      if (dueMs > now()) {
        await flush();
        const wait = dueMs - now();
        if (wait > 0) await sleep(wait, stopping.signal);
      }
      const ingestTime = now() * 1000;
      const eventTime = options.shiftTime
        ? Math.round(started * 1000 + (options.speed > 0 ? offsetMicros / options.speed : 0))
        : parsed.eventTime;
      batch.ticks.push({ ...parsed, eventTime, ingestTime });
      if (batch.ticks.length >= batchSize) await flush();
    }
    await flush();
  }

  async function run(sink: TickSink) {
    state = "replaying";
    try {
      do {
        await pass(sink);
        counts.passes += 1;
      } while (options.loop && !stopping.signal.aborted);
      state = stopping.signal.aborted ? "stopped" : "finished";
      options.log.info({ file: options.file, ...counts }, "replay finished");
    } catch (error) {
      state = "failed";
      failure = (error as Error).message;
      options.log.error({ file: options.file, err: failure }, "replay failed");
    }
  }

  return {
    name: "replay",
    start(sink) {
      loop ??= run(sink);
    },
    async stop() {
      stopping.abort();
      await loop;
    },
    view() {
      return {
        state,
        file: options.file,
        speed: options.speed,
        shiftTime: options.shiftTime,
        ...counts,
        error: failure ?? null,
      };
    },
    check() {
      return state === "failed"
        ? { ok: false, detail: `replay of ${options.file} failed: ${failure}` }
        : { ok: true };
    },
  };
}

/** A tick in the producer's JSON form → the Avro-shaped candidate, or why it is not one. */
function jsonRecord(line: string): Tick | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return `not JSON: ${line.slice(0, 80)}`;
  }
  return tickOf(value);
}

function tickOf(value: unknown): Tick | string {
  if (!isRecord(value)) return "not a JSON object";
  const checked = fromJson("Tick", { ...value, ingestTime: new Date().toISOString() });
  if (!checked.ok)
    return checked.issues.map((issue) => `${issue.path || "(tick)"}: ${issue.message}`).join("; ");
  return checked.value;
}

const NUMERIC = new Set(["sequence", "size", "bidSize", "askSize"]);

function csvRecord(header: string[], line: string): Tick | string {
  const cells = splitCsv(line);
  if (cells.length !== header.length)
    return `${cells.length} cells for ${header.length} columns: ${line.slice(0, 80)}`;
  const record: Record<string, unknown> = {};
  header.forEach((name, i) => {
    const cell = (cells[i] ?? "").trim();
    if (cell === "") record[name] = null;
    else record[name] = NUMERIC.has(name) && /^-?\d+$/.test(cell) ? Number(cell) : cell;
  });
  return tickOf(record);
}

/** Splits a CSV line on commas; double-quoted cells may hold commas and `""` quotes. */
export function splitCsv(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      cells.push(cell);
      cell = "";
    } else cell += char;
  }
  cells.push(cell.replace(/\r$/, ""));
  return cells;
}

/** The lines of a file, read in chunks (a large recording never sits in memory whole). */
async function* readLines(path: string): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of Bun.file(path).stream()) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    yield* lines;
  }
  rest += decoder.decode();
  if (rest !== "") yield rest;
}
