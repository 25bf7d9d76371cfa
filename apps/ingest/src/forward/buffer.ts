import type { Tick } from "@repo/contracts";

/**
 * A bounded FIFO of accepted ticks waiting for the producer. When full, new ticks are refused
 * (counted as dropped by the caller) so memory stays bounded and what is buffered keeps its
 * order. Records leave only after the producer took them (`peek` then `remove`).
 *
 * @example
 *   const buffer = createTickBuffer(10_000);
 *   const dropped = buffer.offer(ticks); // how many did not fit
 *   const batch = buffer.peek(500); // send, then buffer.remove(batch.length)
 */
export function createTickBuffer(capacity: number) {
  let items: Tick[] = [];
  let head = 0;
  return {
    capacity,
    get size() {
      return items.length - head;
    },
    /** Appends what fits; returns how many ticks were dropped for lack of room. */
    offer(ticks: readonly Tick[]): number {
      const room = Math.max(0, capacity - (items.length - head));
      for (let i = 0; i < Math.min(room, ticks.length); i += 1) items.push(ticks[i] as Tick);
      return Math.max(0, ticks.length - room);
    },
    peek(max: number): Tick[] {
      return items.slice(head, head + max);
    },
    /** Removes the records at these positions counted from the head (refused by the producer). */
    discard(positions: ReadonlySet<number>) {
      items = items.filter((_, i) => i < head || !positions.has(i - head));
    },
    remove(count: number) {
      head = Math.min(items.length, head + count);
      if (head > 4096 && head * 2 > items.length) {
        items = items.slice(head);
        head = 0;
      }
    },
  };
}

export type TickBuffer = ReturnType<typeof createTickBuffer>;
