import { dayOf, MINUTE_US, minuteStart } from "@repo/cassandra";
import { type Bar, type DecimalValue, divideHalfEven, formatDecimal } from "@repo/contracts";
import { unscaled } from "./price.ts";

/** The storage layout's time rules (`@repo/cassandra`), under the names the consumer imports. */
export { dayOf, MINUTE_US, minuteStart };

/** A trade as stored in the ticks table: the inputs of a bar. */
export interface Trade {
  source: string;
  sequence: number;
  eventTime: number;
  /** Millionths as the fast reader yields them (187250000), or decimal text ("187.25"). */
  price: DecimalValue;
  size: number;
  /** The provider cancelled this trade: its identity never counts in the bar (default false). */
  cancelled?: boolean;
}

/**
 * The 1-minute OHLCV + VWAP bar of `trades` (all within one minute of one symbol), or undefined
 * when there are none. Deterministic whatever the input order: trades are ordered by event time,
 * then sequence, then source. VWAP = Σ(price·size) / Σsize, rounded half-even to 6 decimals.
 *
 * @example
 *   computeBar("AAPL", minuteStart(t), trades); // { symbol: "AAPL", open: "187.25", … }
 */
export function computeBar(symbol: string, start: number, trades: Trade[]): Bar | undefined {
  const aggregate = new MinuteAggregate(symbol, start);
  for (const trade of trades) aggregate.add(trade);
  return aggregate.bar();
}

/** The open or close trade of a minute: what ordering and the bar need of it. */
interface Edge {
  eventTime: number;
  sequence: number;
  source: string;
  /** Unscaled decimal(18,6). */
  price: bigint;
}

/** Whether the trade (eventTime, sequence, source) comes before `edge`. */
const precedes = (eventTime: number, sequence: number, source: string, edge: Edge) =>
  eventTime !== edge.eventTime
    ? eventTime < edge.eventTime
    : sequence !== edge.sequence
      ? sequence < edge.sequence
      : source < edge.source;

/** Whether the trade (eventTime, sequence, source) comes after `edge`. */
const follows = (eventTime: number, sequence: number, source: string, edge: Edge) =>
  eventTime !== edge.eventTime
    ? eventTime > edge.eventTime
    : sequence !== edge.sequence
      ? sequence > edge.sequence
      : source > edge.source;

const EMPTY = -1;
/** Slots of a new minute's table. */
const INITIAL_SLOTS = 16;
/** Bytes of one slot across the columns: sequence 8, price 8, size 8, offset 4, source 2, excluded 1. */
const SLOT_BYTES = 31;
const TWO_32 = 4_294_967_296;

/**
 * One symbol-minute's bar, maintained as trades arrive: O(1) per new trade, so a busy minute is
 * never re-read or re-sorted. Trades are kept by identity (source, sequence, event time), so a
 * replayed trade counts once; one that comes back with other values replaces the old (as the ticks
 * table does) and the sums are refolded from the kept trades. A cancelled trade (`cancelled: true`)
 * marks its identity excluded, creating the slot when the trade itself has not arrived: an excluded
 * identity never counts again, whatever arrives after, and the bar is refolded without it. Its bar
 * equals {@link computeBar} of the same distinct trades.
 *
 * Memory is an open-addressing table of typed arrays, 31 bytes a slot at most half full (a
 * million-trade minute holds ≈ 50–100 MB instead of ≈ 250 MB of objects and Map entries, and has no
 * Map's 2^24-entry ceiling): the identity (sequence, event time within the minute, source index)
 * and the values (unscaled price, size) the bar needs.
 *
 * @example
 *   const minute = new MinuteAggregate("AAPL", start);
 *   minute.add(trade);
 *   minute.bar(); // { open, high, low, close, volume, vwap, trades, … }
 */
export class MinuteAggregate {
  private sequences!: Float64Array;
  /** Event time minus the minute's start (µs, < 60,000,000); EMPTY marks a free slot. */
  private offsets!: Int32Array;
  private sourceIds!: Uint16Array;
  private prices!: BigInt64Array;
  private sizes!: Float64Array;
  /** 1: the identity was cancelled and never counts. */
  private excluded!: Uint8Array;
  private count = 0;
  private cancelledCount = 0;
  private readonly sources: string[] = [];
  private readonly sourceIndex = new Map<string, number>();
  private volume = 0n;
  private notional = 0n;
  private high = -1n;
  private low = -1n;
  private first: Edge | undefined;
  private last: Edge | undefined;
  private stale = false;

  constructor(
    readonly symbol: string,
    readonly start: number,
  ) {
    this.allocate(INITIAL_SLOTS);
  }

  /**
   * Empty columns of `capacity` slots (a power of two ≥ 8), all six views of one ArrayBuffer: a
   * new minute or a growing one allocates one backing store, not one per column.
   */
  private allocate(capacity: number) {
    const memory = new ArrayBuffer(capacity * SLOT_BYTES);
    this.sequences = new Float64Array(memory, 0, capacity);
    this.prices = new BigInt64Array(memory, 8 * capacity, capacity);
    this.sizes = new Float64Array(memory, 16 * capacity, capacity);
    this.offsets = new Int32Array(memory, 24 * capacity, capacity).fill(EMPTY);
    this.sourceIds = new Uint16Array(memory, 28 * capacity, capacity);
    this.excluded = new Uint8Array(memory, 30 * capacity, capacity);
  }

  /** Distinct identities held (standing trades and cancelled ones). */
  get size(): number {
    return this.count;
  }

  /** Slots of its table (≈ 31 bytes each): what the aggregate holds in memory. */
  get slots(): number {
    return this.offsets.length;
  }

  /** Standing trades: distinct identities not cancelled (the bar's `trades`). */
  get trades(): number {
    return this.count - this.cancelledCount;
  }

  /**
   * How much this minute has seen: 1 per standing trade, 2 per cancelled identity. It only grows
   * (an identity goes from unseen to standing to cancelled, or straight to cancelled, never back),
   * so the view that folded more of the minute's records is the larger, whatever it holds: the
   * base of the bar row's write timestamp (a bar after a cancel has fewer trades but a larger
   * version than the stale bar before it).
   */
  get seen(): number {
    return this.count + this.cancelledCount;
  }

  add(trade: Trade): void {
    const offset = trade.eventTime - this.start;
    if (!(offset >= 0 && offset < MINUTE_US)) {
      throw new Error(`trade at ${trade.eventTime} is outside the minute at ${this.start}`);
    }
    const price = unscaled(trade.price);
    const size = trade.size;
    const source = this.sourceId(trade.source);
    if ((this.count + 1) * 2 > this.offsets.length) this.grow();
    const slot = this.find(trade.sequence, offset, source);
    if (trade.cancelled === true) {
      if (this.offsets[slot] === EMPTY) {
        this.put(slot, trade.sequence, offset, source, price, size);
        this.count += 1;
      } else if (this.excluded[slot] === 1) return;
      else this.stale = true;
      this.excluded[slot] = 1;
      this.cancelledCount += 1;
      return;
    }
    if (this.offsets[slot] === EMPTY) {
      this.put(slot, trade.sequence, offset, source, price, size);
      this.count += 1;
      this.fold(trade.eventTime, trade.sequence, trade.source, price, size);
    } else if (
      this.excluded[slot] === 0 &&
      (this.prices[slot] !== price || this.sizes[slot] !== size)
    ) {
      this.prices[slot] = price;
      this.sizes[slot] = size;
      this.stale = true;
    }
  }

  bar(): Bar | undefined {
    if (this.stale) this.refold();
    const { first, last } = this;
    if (!first || !last) return undefined;
    return {
      symbol: this.symbol,
      start: this.start,
      end: this.start + MINUTE_US,
      open: formatDecimal(first.price),
      high: formatDecimal(this.high),
      low: formatDecimal(this.low),
      close: formatDecimal(last.price),
      volume: Number(this.volume),
      vwap: formatDecimal(
        this.volume > 0n ? divideHalfEven(this.notional, this.volume) : last.price,
      ),
      trades: this.trades,
    };
  }

  private sourceId(source: string): number {
    let id = this.sourceIndex.get(source);
    if (id === undefined) {
      id = this.sources.length;
      if (id > 0xffff) throw new Error(`more than 65,536 sources in one minute of ${this.symbol}`);
      this.sources.push(source);
      this.sourceIndex.set(source, id);
    }
    return id;
  }

  /** The slot holding this identity, or the free slot where it belongs (linear probing). */
  private find(sequence: number, offset: number, source: number): number {
    const mask = this.offsets.length - 1;
    const high = Math.floor(sequence / TWO_32);
    let slot =
      (Math.imul((sequence >>> 0) ^ Math.imul(high, 0x27d4eb2d), 0x9e3779b1) ^
        Math.imul(offset + (source << 26), 0x85ebca77)) &
      mask;
    for (;;) {
      const held = this.offsets[slot] as number;
      if (held === EMPTY) return slot;
      if (held === offset && this.sequences[slot] === sequence && this.sourceIds[slot] === source)
        return slot;
      slot = (slot + 1) & mask;
    }
  }

  private put(
    slot: number,
    sequence: number,
    offset: number,
    source: number,
    price: bigint,
    size: number,
  ) {
    this.sequences[slot] = sequence;
    this.offsets[slot] = offset;
    this.sourceIds[slot] = source;
    this.prices[slot] = price;
    this.sizes[slot] = size;
    this.excluded[slot] = 0;
  }

  private grow() {
    const { sequences, offsets, sourceIds, prices, sizes, excluded } = this;
    this.allocate(offsets.length * 2);
    for (let slot = 0; slot < offsets.length; slot += 1) {
      const offset = offsets[slot] as number;
      if (offset === EMPTY) continue;
      const sequence = sequences[slot] as number;
      const source = sourceIds[slot] as number;
      const to = this.find(sequence, offset, source);
      this.put(to, sequence, offset, source, prices[slot] as bigint, sizes[slot] as number);
      this.excluded[to] = excluded[slot] as number;
    }
  }

  private fold(eventTime: number, sequence: number, source: string, price: bigint, size: number) {
    if (this.high < 0n || price > this.high) this.high = price;
    if (this.low < 0n || price < this.low) this.low = price;
    const shares = BigInt(size);
    this.volume += shares;
    this.notional += price * shares;
    // An edge object only for a trade that becomes the open or the close, not one per trade.
    const opens = !this.first || precedes(eventTime, sequence, source, this.first);
    const closes = !this.last || follows(eventTime, sequence, source, this.last);
    if (!opens && !closes) return;
    const edge = { eventTime, sequence, source, price };
    if (opens) this.first = edge;
    if (closes) this.last = edge;
  }

  private refold() {
    this.volume = 0n;
    this.notional = 0n;
    this.high = -1n;
    this.low = -1n;
    this.first = undefined;
    this.last = undefined;
    for (let slot = 0; slot < this.offsets.length; slot += 1) {
      const offset = this.offsets[slot] as number;
      if (offset === EMPTY || this.excluded[slot] === 1) continue;
      this.fold(
        this.start + offset,
        this.sequences[slot] as number,
        this.sources[this.sourceIds[slot] as number] as string,
        this.prices[slot] as bigint,
        this.sizes[slot] as number,
      );
    }
    this.stale = false;
  }
}
