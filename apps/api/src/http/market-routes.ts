import type { OpenAPIHono } from "@hono/zod-openapi";
import { formatTimestamp, type Tick, tickToJson } from "@repo/contracts";
import { invalidParameter, storeReads } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import {
  type CursorCodec,
  CursorError,
  type TicksCursor,
  type TicksPosition,
} from "../market/cursor.ts";
import type { MarketReader } from "../market/reader.ts";
import { rollup, type StoredBar } from "../market/rollup.ts";
import {
  ceilTo,
  DAY_US,
  DEFAULT_BARS,
  floorTo,
  INTERVALS,
  MAX_SPAN_US,
  MINUTE_US,
} from "../market/time.ts";
import { apiRoutes as routes } from "./api-specs.ts";
import type { BarJson, TickJson } from "./responses.ts";
import { MAX_TICKS_SPAN_DAYS, micros, splitSymbols } from "./schemas.ts";

export interface MarketDeps {
  log: Logger;
  reader: MarketReader;
  cursors: CursorCodec;
  /** The time in microseconds since the epoch. */
  now: () => number;
}

/**
 * The stored market data: `/v1/symbols`, `/v1/quotes`, `/v1/bars/{symbol}` (rolled up above 1m)
 * and `/v1/ticks/{symbol}` (paged by signed cursors). Cassandra unreachable is a 503
 * `store_unavailable` with Retry-After.
 *
 * @example
 *   mountMarketRoutes(api, { log, reader, cursors, now: () => Date.now() * 1000 });
 */
export function mountMarketRoutes(api: OpenAPIHono, deps: MarketDeps) {
  const { now } = deps;
  /** A read whose transient failure (Cassandra down, timeouts) is a 503 the client may retry. */
  const read = storeReads({ log: deps.log, store: "the market data store" });

  api.openapi(routes.symbols, async (c) => {
    const symbols = await read("symbols", () => deps.reader.symbols());
    return c.json(
      {
        symbols: symbols.map((s) => ({
          symbol: s.symbol,
          latestEventTime: formatTimestamp(s.latestEventTime),
        })),
      },
      200,
    );
  });

  api.openapi(routes.quotes, async (c) => {
    const symbols = splitSymbols(c.req.valid("query").symbols);
    const ticks = await read("quotes", () => deps.reader.latest(symbols));
    return c.json({ quotes: ticks.map(tickJson) }, 200);
  });

  api.openapi(routes.bars, async (c) => {
    const { symbol } = c.req.valid("param");
    const query = c.req.valid("query");
    const step = INTERVALS[query.interval];
    const to = micros(query.to, now());
    const from = micros(query.from, to - DEFAULT_BARS * step);
    if (from >= to) throw invalidParameter("from", "must be before `to`");
    if (to - from > MAX_SPAN_US[query.interval]) {
      const days = MAX_SPAN_US[query.interval] / DAY_US;
      throw invalidParameter(
        "from",
        `the range may span at most ${days} days for interval ${query.interval}`,
      );
    }
    const minutes = await read("bars", () =>
      deps.reader.minuteBars(symbol, floorTo(from, step), ceilTo(to, step)),
    );
    const bars = step === MINUTE_US ? minutes : rollup(minutes, step);
    return c.json({ symbol, interval: query.interval, bars: bars.map(barJson) }, 200);
  });

  api.openapi(routes.ticks, async (c) => {
    const { symbol } = c.req.valid("param");
    const query = c.req.valid("query");
    let range: { fromUs: number; toUs: number };
    let position: TicksPosition | undefined;
    if (query.cursor !== undefined) {
      const cursor = decodeCursor(deps.cursors, query.cursor);
      const asked = {
        fromUs: micros(query.from, cursor.fromUs),
        toUs: micros(query.to, cursor.toUs),
      };
      if (cursor.symbol !== symbol || asked.fromUs !== cursor.fromUs || asked.toUs !== cursor.toUs)
        throw invalidParameter(
          "cursor",
          "belongs to another symbol or time range",
          "query",
          "other_query",
        );
      range = asked;
      position = { day: cursor.day, pageState: cursor.pageState };
    } else {
      const to = micros(query.to, now());
      range = { fromUs: micros(query.from, to - 3_600_000_000), toUs: to };
    }
    if (range.fromUs >= range.toUs) throw invalidParameter("from", "must be before `to`");
    if (range.toUs - range.fromUs > MAX_TICKS_SPAN_DAYS * DAY_US)
      throw invalidParameter("from", `the range may span at most ${MAX_TICKS_SPAN_DAYS} days`);
    const page = await read("ticks", () => deps.reader.ticks(symbol, range, query.limit, position));
    const next = page.next ? deps.cursors.encode({ symbol, ...range, ...page.next }) : null;
    return c.json({ ticks: page.ticks.map(tickJson), next }, 200);
  });
}

/** A stored tick as the api answers it. */
export function tickJson(tick: Tick) {
  return tickToJson(tick) as TickJson;
}

/** A stored (or rolled-up) bar as the api answers it. */
export function barJson(bar: StoredBar): BarJson {
  return {
    start: formatTimestamp(bar.start),
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: Number(bar.volume),
    vwap: bar.vwap,
    trades: Number(bar.trades),
  };
}

/** The cursor a `/v1/ticks` request carries, or the 400 naming `cursor` and why it is refused. */
function decodeCursor(cursors: CursorCodec, token: string): TicksCursor {
  try {
    return cursors.decode(token);
  } catch (error) {
    if (error instanceof CursorError)
      throw invalidParameter("cursor", error.message, "query", error.reason);
    throw error;
  }
}
