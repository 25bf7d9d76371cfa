import { type Tick, tickToJson } from "@repo/contracts";
import type { Logger } from "@repo/platform/log";
import { backoffDelay, sleep } from "@repo/platform/retry";
import type { Lane, TickBuffer } from "./buffer.ts";

/** Why the producer refused records for good; each is a counter under `/stats` `records.rejected`. */
export type ProducerRefusal = "producer_rejected" | "producer_too_large";

export interface ForwarderOptions {
  producerUrl: string;
  /** The producer's bearer token (PRODUCER_TOKEN); none for a loopback producer without tokens. */
  token?: string;
  buffer: TickBuffer;
  log: Logger;
  /** Most records per request (at most the producer's PRODUCER_MAX_RECORDS). */
  batchSize: number;
  /** Longest a partial batch waits for more records. */
  lingerMs: number;
  /** Per request; longer than the producer's delivery timeout, so a slow Kafka is not resent to. */
  requestTimeoutMs: number;
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Records the producer took (`ticks` are those records, for the run that read them). */
  onForwarded: (count: number, ticks: readonly Tick[]) => void;
  /** Records the producer refused for good: invalid (422, other 4xx) or too large on their own (413). */
  onRejected: (count: number, reason: ProducerRefusal, ticks: readonly Tick[]) => void;
}

type Outcome =
  /** `count` records left the head of the lane (delivered or refused). */
  | { kind: "progress"; count: number }
  /** Nothing left the lane; send the same records again after a backoff. */
  | { kind: "retry" }
  /** The producer refused the request's size; send the batch again as two halves. */
  | { kind: "split" };

interface ProducerAnswer {
  error?: {
    code?: string;
    message?: string;
    subject?: string;
    records?: { index?: number }[];
    issues?: { path?: string }[];
  };
}

const TOPIC = "market.ticks";

/**
 * Sends buffered ticks to the producer in batches bounded by size and time; lanes run
 * concurrently, each sending one batch at a time so per-symbol order holds.
 *
 * - Connection errors, timeouts, 5xx, 408, 429, 404 `unknown_subject` (schemas not pushed yet)
 *   and 401/403 (a missing or wrong PRODUCER_TOKEN: the data is fine, the credentials are not)
 *   keep the batch at the head of its lane and retry it with jittered exponential backoff;
 *   `problem` says why meanwhile.
 * - 413, or a 400 on the number of records, sends the batch again as two halves, down to one
 *   record; a single record still too large is refused as `producer_too_large`.
 * - A 422 refuses exactly the records it names and resends the rest; other 4xx refuse the batch.
 *   Refusals are counted through `onRejected`, never dropped silently.
 *
 * @example
 *   const forwarder = createForwarder({ producerUrl, buffer, log, batchSize: 500, lingerMs: 200,
 *     requestTimeoutMs: 45_000, onForwarded: (n) => forwarded.add(n),
 *     onRejected: (n, reason) => stats.counter(`records.rejected.${reason}`).add(n) });
 *   forwarder.start(); // later: await forwarder.stop(5000)
 */
export function createForwarder(options: ForwarderOptions) {
  const { buffer, log } = options;
  const url = `${options.producerUrl.replace(/\/$/, "")}/v1/topics/${TOPIC}/records`;
  let running = false;
  let loop: Promise<void> | undefined;
  const sleepers = new Set<() => void>();
  let failures = 0;
  let lastError: string | undefined;
  const stopping = new AbortController();

  async function send(lane: Lane, batch: Tick[]): Promise<Outcome> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        // The request carries the token: a redirect must not take it anywhere else.
        redirect: "error",
        body: JSON.stringify({
          records: batch.map((tick) => ({ key: tick.symbol, value: tickToJson(tick) })),
        }),
        signal: AbortSignal.any([AbortSignal.timeout(options.requestTimeoutMs), stopping.signal]),
      });
    } catch (error) {
      lastError = `producer unreachable: ${(error as Error).message}`;
      return { kind: "retry" };
    }
    if (response.ok) {
      await response.body?.cancel();
      lane.remove(batch.length);
      options.onForwarded(batch.length, batch);
      return { kind: "progress", count: batch.length };
    }
    const { status } = response;
    const body = (await response.json().catch(() => ({}))) as ProducerAnswer;
    if (status === 404 && body.error?.code === "unknown_subject") {
      lastError = `producer has no schema for ${body.error.subject ?? `${TOPIC}-value`} yet (404 unknown_subject; run \`bun run schemas:push\`)`;
      return { kind: "retry" };
    }
    if (status === 401 || status === 403) {
      lastError =
        status === 401
          ? "producer refused the credentials (401): set PRODUCER_TOKEN to one of the producer's PRODUCER_TOKENS"
          : `producer does not let this token write ${TOPIC} (403 ${body.error?.code ?? ""})`.trim();
      return { kind: "retry" };
    }
    if (status === 413 || (status === 400 && tooManyRecords(body))) {
      if (batch.length > 1) {
        log.warn(
          { status, records: batch.length, answer: body.error?.code },
          "producer refused the batch's size; sending it in halves",
        );
        return { kind: "split" };
      }
      return refuse(lane, batch, status, body, status === 413 ? "producer_too_large" : undefined);
    }
    if (status === 422) {
      const named = (body.error?.records ?? []).map((r) => r.index);
      const invalid = new Set(
        named.filter((i): i is number => typeof i === "number" && i >= 0 && i < batch.length),
      );
      if (invalid.size === 0) return refuse(lane, batch, status, body);
      lane.discard(invalid);
      options.onRejected(
        invalid.size,
        "producer_rejected",
        batch.filter((_, i) => invalid.has(i)),
      );
      log.warn(
        { status, refused: invalid.size, answer: body },
        "producer refused records; resending the rest",
      );
      return { kind: "progress", count: invalid.size };
    }
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      return refuse(lane, batch, status, body);
    }
    lastError = `producer answered HTTP ${status} ${body.error?.code ?? ""}`.trim();
    return { kind: "retry" };
  }

  function refuse(
    lane: Lane,
    batch: Tick[],
    status: number,
    body: unknown,
    reason: ProducerRefusal = "producer_rejected",
  ): Outcome {
    lane.remove(batch.length);
    options.onRejected(batch.length, reason, batch);
    log.warn(
      { status, reason, refused: batch.length, sample: batch[0], answer: body },
      "producer refused records",
    );
    return { kind: "progress", count: batch.length };
  }

  /** One lane's loop: lanes run concurrently, each sends its batches one at a time, in order. */
  async function run(lane: Lane) {
    let waitingSince: number | undefined;
    let laneFailures = 0;
    // Sizes of the halves still to send after a split, the next one last.
    const halves: number[] = [];
    while (running || lane.size > 0) {
      if (lane.size === 0) {
        waitingSince = undefined;
        halves.length = 0;
        if (!running) break;
        await new Promise<void>((resolve) => sleepers.add(resolve));
        continue;
      }
      waitingSince ??= Date.now();
      const full = lane.size >= options.batchSize;
      const lingered = Date.now() - waitingSince >= options.lingerMs;
      if (running && halves.length === 0 && !full && !lingered) {
        await sleep(options.lingerMs - (Date.now() - waitingSince), stopping.signal);
        continue;
      }
      const batch = lane.peek(halves.at(-1) ?? options.batchSize);
      const outcome = await send(lane, batch);
      if (outcome.kind !== "retry") {
        if (laneFailures > 0) failures -= 1;
        laneFailures = 0;
      }
      if (outcome.kind === "split") {
        halves.pop();
        const first = Math.ceil(batch.length / 2);
        halves.push(batch.length - first, first);
        continue;
      }
      if (outcome.kind === "progress") {
        const left = (halves.pop() ?? 0) - outcome.count;
        if (left > 0) halves.push(left);
        waitingSince = undefined;
        continue;
      }
      if (laneFailures === 0) failures += 1;
      laneFailures += 1;
      if (laneFailures === 1 || laneFailures % 10 === 0)
        log.warn(
          { failures: laneFailures, err: lastError, buffered: buffer.size },
          "producer unavailable; retrying",
        );
      if (stopping.signal.aborted) break;
      await sleep(
        backoffDelay(laneFailures, {
          minDelayMs: options.minRetryDelayMs ?? 200,
          maxDelayMs: options.maxRetryDelayMs ?? 5_000,
        }),
        stopping.signal,
      );
    }
  }

  function wakeAll() {
    for (const resolve of sleepers) resolve();
    sleepers.clear();
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = Promise.all(buffer.lanes.map((lane) => run(lane))).then(() => undefined);
    },
    /** Call after offering records to the buffer. */
    notify: wakeAll,
    /** Whether no lane is currently failing to reach the producer. */
    get healthy() {
      return failures === 0;
    },
    /** Why batches are held (for `/readyz`), while a lane is retrying; otherwise undefined. */
    problem(): string | undefined {
      if (failures === 0) return undefined;
      return `${lastError ?? "producer unavailable"}; holding ${buffer.size} buffered records, retrying`;
    },
    /** Flushes what is buffered, giving up after `graceMs` (what is left is reported). */
    async stop(graceMs: number) {
      running = false;
      wakeAll();
      const timer = setTimeout(() => stopping.abort(), graceMs);
      await loop;
      clearTimeout(timer);
      if (buffer.size > 0)
        log.error({ unsent: buffer.size }, "stopped with records still buffered");
    },
  };
}

/** A 400 about the records array itself (e.g. more records than PRODUCER_MAX_RECORDS), not a record in it. */
function tooManyRecords(body: ProducerAnswer): boolean {
  return (
    body.error?.code === "invalid_request" &&
    (body.error.issues ?? []).some((issue) => issue.path === "records")
  );
}
