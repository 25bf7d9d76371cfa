import type { Tick } from "@repo/contracts";

/** One FIFO of the buffer; all ticks of a symbol go to the same lane, so their order holds. */
export interface Lane {
  readonly size: number;
  peek(max: number): Tick[];
  /** Removes `count` records from the head (after the producer took them). */
  remove(count: number): void;
  /** Removes the records at these positions counted from the head (refused by the producer). */
  discard(positions: ReadonlySet<number>): void;
}

/**
 * A bounded buffer of accepted ticks waiting for the producer, split into lanes by symbol so
 * lanes can be sent concurrently without reordering any symbol. When the total reaches
 * `capacity`, new ticks are refused (counted as dropped by the caller): memory stays bounded and
 * what is buffered keeps its order. Records leave a lane only once the producer took them.
 *
 * @example
 *   const buffer = createTickBuffer(10_000, 4);
 *   const dropped = buffer.offer(ticks); // how many did not fit
 *   const lane = buffer.lanes[0]; const batch = lane.peek(500); // send, then lane.remove(batch.length)
 */
export function createTickBuffer(capacity: number, laneCount = 1) {
  let total = 0;
  const lanes = Array.from({ length: laneCount }, () => createLane((delta) => (total += delta)));
  const laneOf = (symbol: string) => {
    let hash = 0;
    for (let i = 0; i < symbol.length; i += 1) hash = (hash * 31 + symbol.charCodeAt(i)) >>> 0;
    return lanes[hash % laneCount] as ReturnType<typeof createLane>;
  };
  return {
    capacity,
    lanes: lanes as readonly Lane[],
    get size() {
      return total;
    },
    /** Appends what fits, in order; returns how many ticks were dropped for lack of room. */
    offer(ticks: readonly Tick[]): number {
      const room = Math.max(0, capacity - total);
      const kept = Math.min(room, ticks.length);
      for (let i = 0; i < kept; i += 1) {
        const tick = ticks[i] as Tick;
        laneOf(tick.symbol).push(tick);
      }
      return ticks.length - kept;
    },
    /** Up to `max` buffered ticks, lane by lane (for inspection). */
    peek(max: number): Tick[] {
      return lanes.flatMap((lane) => lane.peek(max)).slice(0, max);
    },
  };
}

function createLane(onSizeChange: (delta: number) => void) {
  let items: Tick[] = [];
  let head = 0;
  return {
    get size() {
      return items.length - head;
    },
    push(tick: Tick) {
      items.push(tick);
      onSizeChange(1);
    },
    peek(max: number): Tick[] {
      return items.slice(head, head + max);
    },
    discard(positions: ReadonlySet<number>) {
      const before = items.length;
      items = items.filter((_, i) => i < head || !positions.has(i - head));
      onSizeChange(items.length - before);
    },
    remove(count: number) {
      const removed = Math.min(count, items.length - head);
      head += removed;
      onSizeChange(-removed);
      if (head > 4096 && head * 2 > items.length) {
        items = items.slice(head);
        head = 0;
      }
    },
  };
}

export type TickBuffer = ReturnType<typeof createTickBuffer>;
