import type { Firing } from "../cassandra/store.ts";

export interface HubClient {
  /** Alerts waiting for this client. */
  queue: Firing[];
  /** Called when an alert is queued (wakes the writer). */
  wake: () => void;
  /** Set when the client fell too far behind and must be dropped. */
  dropped: boolean;
  /** Set when the service shuts down: the stream ends with a `shutdown` event. */
  closed: boolean;
}

/**
 * Fans each recorded firing out to the open `/v1/alerts/stream` clients. Each client has a bounded
 * queue: one that lets more than `maxQueue` alerts wait is marked dropped (its stream ends), so a
 * slow reader never holds memory or slows evaluation.
 *
 * @example
 *   const hub = createAlertHub({ maxQueue: 1000, maxClients: 100 });
 *   const client = hub.join(); // undefined when full
 *   hub.publish(firing);
 */
export function createAlertHub(options: { maxQueue: number; maxClients: number }) {
  const clients = new Set<HubClient>();
  return {
    join(): HubClient | undefined {
      if (clients.size >= options.maxClients) return undefined;
      const client: HubClient = { queue: [], wake: () => {}, dropped: false, closed: false };
      clients.add(client);
      return client;
    },
    leave(client: HubClient) {
      clients.delete(client);
    },
    publish(firing: Firing) {
      for (const client of clients) {
        if (client.queue.length >= options.maxQueue) {
          client.dropped = true;
          clients.delete(client);
        } else client.queue.push(firing);
        client.wake();
      }
    },
    /** Ends every stream (shutdown): accepted requests must finish before the service stops. */
    closeAll() {
      for (const client of clients) {
        client.closed = true;
        client.wake();
      }
      clients.clear();
    },
    get size() {
      return clients.size;
    },
  };
}

export type AlertHub = ReturnType<typeof createAlertHub>;
