import { type Bar, type Tick, validate, validateTick } from "@repo/contracts";
import type { ConsumedRecord } from "@repo/kafka-node/types";
import { decodeAvro, type WriterTypes } from "../kafka/decode.ts";
import type { StoredBar } from "../market/rollup.ts";

/** The live half of `/v1/stream`: a Kafka tail the stream starts while someone listens. */
/** What a stream client is sent: a symbol's newer quote, or its 1-minute bar (new or corrected). */
export type StreamEvent =
  | { event: "quote"; symbol: string; tick: Tick }
  | { event: "bar"; symbol: string; bar: StoredBar };

export interface StreamFeed {
  /** Starts delivering (from the topics' ends as of now); rejects when Kafka cannot be reached. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A feed that never delivers anything: for tests of the HTTP edge, which need no Kafka. */
export const idleFeed: StreamFeed = { start: async () => {}, stop: async () => {} };

/**
 * Turns records of the ticks and bars topics into stream events: each value decoded through the
 * registry and checked with the consumer's own contract checks, so a record the consumer would
 * dead-letter (or skip) is never shown. A cancel is never a symbol's quote (`latest_quotes` holds no
 * cancel either); its bar arrives corrected on the bars topic.
 *
 * @example
 *   const decode = createFeedDecoder({ types, ticksTopic: "market.ticks", barsTopic: "market.bars.1m", maxFutureSkewMs: 60_000 });
 *   const event = await decode(record); // { event: "quote", symbol: "AAPL", tick } or undefined
 */
export function createFeedDecoder(options: {
  types: WriterTypes;
  ticksTopic: string;
  barsTopic: string;
  maxFutureSkewMs: number;
}) {
  return async function decode(record: ConsumedRecord): Promise<StreamEvent | undefined> {
    const read = await decodeAvro(options.types, record.value);
    if (!("avro" in read)) return undefined;
    if (record.topic === options.ticksTopic) {
      const tick = read.avro as Tick;
      const issues = validateTick(tick, {
        decodedFromAvro: true,
        maxFutureSkewMs: options.maxFutureSkewMs,
      });
      if (issues.length > 0 || tick.cancelled === true) return undefined;
      return { event: "quote", symbol: tick.symbol, tick: { ...tick, cancelled: false } };
    }
    if (record.topic === options.barsTopic) {
      const checked = validate("Bar", read.avro, { decodedFromAvro: true });
      if (!checked.ok) return undefined;
      return { event: "bar", symbol: checked.value.symbol, bar: storedBarOf(checked.value) };
    }
    return undefined;
  };
}

/** A bar of the bars topic in the shape the api reads from `bars_1m`. */
export function storedBarOf(bar: Bar): StoredBar {
  return {
    start: Number(bar.start),
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: BigInt(bar.volume),
    vwap: bar.vwap,
    trades: BigInt(bar.trades),
  };
}
