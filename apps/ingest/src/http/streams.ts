import type { StreamProvider } from "../providers/provider.ts";

interface ConnectionView {
  id?: unknown;
  state?: unknown;
  stateSinceMs?: unknown;
  messagesPerSecond?: unknown;
  lastMessageAgeMs?: unknown;
  lastDataAgeMs?: unknown;
  reconnects?: unknown;
  connects?: unknown;
  lastError?: unknown;
  nextAttemptAt?: unknown;
}

interface StreamView {
  state?: unknown;
  messagesPerSecond?: unknown;
  lastMessageAgeMs?: unknown;
  reconnects?: unknown;
  connections?: ConnectionView[];
  recovery?: {
    available?: unknown;
    gapsByOutcome?: unknown;
    recent?: unknown;
    unrecovered?: unknown;
  };
}

/**
 * What `GET /streams` shows of each streaming provider (the Spark UI's streaming tab): each
 * WebSocket connection's state, messages per second, last frame age and reconnects, and the gaps
 * detected, recovered and unrecovered with their time ranges.
 *
 * @example
 *   streamsView(streams)[0].gaps; // { detected: 1, recovered: 1, unrecovered: 0, pending: 0 }
 */
export function streamsView(streams: readonly StreamProvider[]) {
  return streams.map((stream) => {
    const view = stream.view() as StreamView;
    return {
      name: stream.name,
      state: view.state ?? null,
      ready: stream.check(),
      messagesPerSecond: view.messagesPerSecond ?? null,
      lastMessageAgeMs: view.lastMessageAgeMs ?? null,
      reconnects: view.reconnects ?? null,
      connections: (view.connections ?? []).map((connection) => ({
        id: connection.id,
        state: connection.state,
        stateSinceMs: connection.stateSinceMs,
        messagesPerSecond: connection.messagesPerSecond,
        lastMessageAgeMs: connection.lastMessageAgeMs,
        lastDataAgeMs: connection.lastDataAgeMs,
        connects: connection.connects,
        reconnects: connection.reconnects,
        lastError: connection.lastError,
        nextAttemptAt: connection.nextAttemptAt,
      })),
      gapRecovery: view.recovery?.available ?? false,
      gaps: view.recovery?.gapsByOutcome ?? null,
      recentGaps: view.recovery?.recent ?? [],
      unrecoveredGaps: view.recovery?.unrecovered ?? [],
    };
  });
}
