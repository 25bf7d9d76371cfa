import { type Tick, tickToJson } from "@repo/contracts";
import type { Logger } from "@repo/platform/log";
import { backoffDelay, sleep } from "@repo/platform/retry";
import type { Lane, TickBuffer } from "./buffer.ts";

export interface ForwarderOptions {
  producerUrl: string;
  buffer: TickBuffer;
  log: Logger;
  /** Most records per request (the producer accepts up to 1000 by default). */
  batchSize: number;
  /** Longest a partial batch waits for more records. */
  lingerMs: number;
  requestTimeoutMs: number;
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  onForwarded: (count: number) => void;
  /** Records the producer refused as invalid (422 or another non-retryable 4xx). */
  onRejected: (count: number) => void;
}

const TOPIC = "market.ticks";

/**
 * Sends buffered ticks to the producer in batches bounded by size and time. Failures that may
 * pass (connection refused, 5xx, 429, timeouts) are retried with jittered exponential backoff,
 * the batch staying at the head of the buffer so per-symbol order holds. A 422 drops exactly
 * the records it names and resends the rest; other 4xx refuse the batch. Both are counted.
 *
 * @example
 *   const forwarder = createForwarder({ producerUrl, buffer, log, batchSize: 500, lingerMs: 200,
 *     requestTimeoutMs: 10_000, onForwarded: (n) => forwarded.add(n), onRejected: (n) => rejected.add(n) });
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

  async function send(lane: Lane, batch: Tick[]): Promise<"sent" | "retry"> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          records: batch.map((tick) => ({ key: tick.symbol, value: tickToJson(tick) })),
        }),
        signal: AbortSignal.timeout(options.requestTimeoutMs),
      });
    } catch (error) {
      lastError = (error as Error).message;
      return "retry";
    }
    if (response.ok) {
      await response.body?.cancel();
      lane.remove(batch.length);
      options.onForwarded(batch.length);
      return "sent";
    }
    const body = (await response.json().catch(() => ({}))) as {
      error?: { code?: string; records?: { index?: number }[] };
    };
    if (response.status === 422) {
      const named = (body.error?.records ?? []).map((r) => r.index);
      const invalid = new Set(
        named.filter((i): i is number => typeof i === "number" && i >= 0 && i < batch.length),
      );
      if (invalid.size === 0) return refuse(lane, batch, response.status, body);
      lane.discard(invalid);
      options.onRejected(invalid.size);
      log.warn(
        { status: 422, refused: invalid.size, answer: body },
        "producer refused records; resending the rest",
      );
      return "sent";
    }
    if (
      response.status >= 400 &&
      response.status < 500 &&
      response.status !== 408 &&
      response.status !== 429
    ) {
      return refuse(lane, batch, response.status, body);
    }
    lastError = `producer answered HTTP ${response.status} ${body.error?.code ?? ""}`.trim();
    return "retry";
  }

  function refuse(lane: Lane, batch: Tick[], status: number, body: unknown): "sent" {
    lane.remove(batch.length);
    options.onRejected(batch.length);
    log.warn(
      { status, refused: batch.length, sample: batch[0], answer: body },
      "producer refused records",
    );
    return "sent";
  }

  /** One lane's loop: lanes run concurrently, each sends its batches one at a time, in order. */
  async function run(lane: Lane) {
    let waitingSince: number | undefined;
    let laneFailures = 0;
    while (running || lane.size > 0) {
      if (lane.size === 0) {
        waitingSince = undefined;
        if (!running) break;
        await new Promise<void>((resolve) => sleepers.add(resolve));
        continue;
      }
      waitingSince ??= Date.now();
      const full = lane.size >= options.batchSize;
      const lingered = Date.now() - waitingSince >= options.lingerMs;
      if (running && !full && !lingered) {
        await sleep(options.lingerMs - (Date.now() - waitingSince), stopping.signal);
        continue;
      }
      const outcome = await send(lane, lane.peek(options.batchSize));
      if (outcome === "sent") {
        if (laneFailures > 0) failures -= 1;
        laneFailures = 0;
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
