import type { HistoryRequest, HistorySource } from "../stream/recovery.ts";
import { alpacaQuote, alpacaTrade } from "./alpaca.ts";
import { isRecord } from "./fields.ts";
import type { HttpSource } from "./http-source.ts";
import type { PollResult } from "./provider.ts";

export type AlpacaHistoryKind = "trades" | "quotes";

export interface AlpacaHistoryOptions {
  /** `https://data.alpaca.markets` (ALPACA_DATA_URL). */
  dataUrl: string;
  /** The stream feed; `delayed_sip` reads the `sip` history. */
  feed: string;
  keyId: string;
  secretKey: string;
  http: HttpSource;
  kinds: readonly AlpacaHistoryKind[];
  /** Records per page (Alpaca allows 1–10000). */
  pageLimit?: number;
  /**
   * How recent the plan may query this history: Basic is refused SIP data newer than 15 minutes
   * ("subscription does not permit querying recent SIP data"). Requests end no later than this
   * long ago, and gap recovery waits until a gap is this old. 0: no limit.
   */
  recentLimitMs?: number;
  now?: () => number;
  nowMicros?: () => number;
}

export interface AlpacaPage {
  result: PollResult;
  /** Pass back as `page_token` for the next page; null after the last page. */
  nextPageToken: string | null;
}

/**
 * Alpaca's historical market data, paged: `GET /v2/stocks/{trades|quotes}?symbols=…&start=…&end=…
 * &limit=…&feed=…&sort=asc&page_token=…` on ALPACA_DATA_URL, through the shared HTTP edge (rate
 * limit, retries, circuit breaker). Records parse exactly like streamed ones, so identities match.
 *
 * @example
 *   const history = createAlpacaHistory({ dataUrl, feed: "iex", keyId, secretKey, http, kinds: ["trades", "quotes"] });
 *   for await (const page of history.pages({ symbols: ["AAPL"], fromMs, toMs })) sink.offer(page, { history: true });
 */
export function createAlpacaHistory(options: AlpacaHistoryOptions) {
  const nowMicros = options.nowMicros ?? (() => Date.now() * 1000);
  const now = options.now ?? Date.now;
  const recentLimitMs = options.recentLimitMs ?? 0;
  const feed = options.feed === "delayed_sip" ? "sip" : options.feed;
  const headers = { "APCA-API-KEY-ID": options.keyId, "APCA-API-SECRET-KEY": options.secretKey };

  /** One page of one kind, starting at `pageToken` (undefined: the first page). */
  async function page(
    kind: AlpacaHistoryKind,
    request: { symbols: string[]; start: string; end: string },
    pageToken: string | undefined,
    signal?: AbortSignal,
  ): Promise<AlpacaPage> {
    let end = request.end;
    if (recentLimitMs > 0) {
      const latest = now() - recentLimitMs;
      if (Date.parse(request.start) > latest)
        return { result: { ticks: [], malformed: [] }, nextPageToken: null };
      if (Date.parse(end) > latest) end = new Date(latest).toISOString();
    }
    const url = new URL(`/v2/stocks/${kind}`, options.dataUrl);
    url.searchParams.set("symbols", request.symbols.join(","));
    url.searchParams.set("start", request.start);
    url.searchParams.set("end", end);
    url.searchParams.set("limit", String(options.pageLimit ?? 10_000));
    url.searchParams.set("feed", feed);
    url.searchParams.set("sort", "asc");
    if (pageToken) url.searchParams.set("page_token", pageToken);
    const body = await options.http.getJson(url.toString(), headers, signal);
    return parseAlpacaHistoryPage(kind, body, nowMicros());
  }

  const source: HistorySource = {
    delayMs: recentLimitMs,
    async *pages(request: HistoryRequest, signal?: AbortSignal) {
      const range = {
        symbols: request.symbols,
        start: new Date(request.fromMs).toISOString(),
        end: new Date(request.toMs).toISOString(),
      };
      for (const kind of options.kinds) {
        let token: string | undefined;
        do {
          const next = await page(kind, range, token, signal);
          yield next.result;
          token = next.nextPageToken ?? undefined;
        } while (token && !signal?.aborted);
      }
    },
  };
  return { ...source, page, close: () => options.http.close() };
}

export type AlpacaHistory = ReturnType<typeof createAlpacaHistory>;

/**
 * One history response (`{"trades":{"AAPL":[…]},"next_page_token":…}`, or `quotes`) as candidates.
 *
 * @example
 *   parseAlpacaHistoryPage("trades", { trades: { AAPL: [{ t, x: "V", p: 187.2, s: 100, i: 7 }] }, next_page_token: null }, now);
 */
export function parseAlpacaHistoryPage(
  kind: AlpacaHistoryKind,
  body: unknown,
  ingestTime: number,
): AlpacaPage {
  const result: PollResult = { ticks: [], malformed: [] };
  if (!isRecord(body)) {
    result.malformed.push(`alpaca ${kind} history body is not a JSON object`);
    return { result, nextPageToken: null };
  }
  if (typeof body.malformed === "string") {
    result.malformed.push(body.malformed);
    return { result, nextPageToken: null };
  }
  const bySymbol = body[kind];
  if (bySymbol !== null && bySymbol !== undefined && !isRecord(bySymbol))
    result.malformed.push(`alpaca ${kind} history: "${kind}" is not an object`);
  for (const [symbol, records] of Object.entries(isRecord(bySymbol) ? bySymbol : {})) {
    if (!Array.isArray(records)) {
      result.malformed.push(`alpaca ${kind} history for ${symbol} is not an array`);
      continue;
    }
    for (const record of records) {
      if (!isRecord(record)) {
        result.malformed.push(`alpaca ${kind} record is not an object`);
        continue;
      }
      result.ticks.push(
        kind === "trades"
          ? alpacaTrade(symbol, record, ingestTime)
          : alpacaQuote(symbol, record, ingestTime),
      );
    }
  }
  const token = body.next_page_token;
  return { result, nextPageToken: typeof token === "string" && token !== "" ? token : null };
}
