export interface TradeRecord {
  t: string;
  x: string;
  p: number;
  s: number;
  c: string[];
  i: number;
  z: string;
  /** History's update mark (stock trade schema: `canceled`, `incorrect`, `corrected`). */
  u?: "canceled" | "incorrect" | "corrected";
}
export interface QuoteRecord {
  t: string;
  bx: string;
  bp: number;
  bs: number;
  ax: string;
  ap: number;
  as: number;
  c: string[];
  z: string;
}

/** The limits the REST half enforces. */
export interface FakeAlpacaRestOptions {
  /** Largest page the history returns, whatever `limit` asks (Alpaca "may return less"). */
  maxPage?: number;
  /** REST requests per window per key (Basic: 200 per minute). */
  rateLimit?: { requests: number; windowMs: number };
  /** SIP history must be at least this old (Basic: 15 minutes); unset: no limit. */
  recentSipLimitMs?: number;
}

/**
 * The REST half of the Alpaca stand-in (see fake-alpaca.ts for the documents it follows): the
 * per-key request budget with `X-RateLimit-*` headers and 429 without Retry-After once spent,
 * key headers, `GET /v2/stocks/snapshots` and the paged `GET /v2/stocks/{trades|quotes}` history
 * over the records the stand-in keeps.
 *
 * @example
 *   const rest = createFakeAlpacaRest(options, { keyId, secretKey, trades, quotes });
 *   const response = rest.answer(new URL(request.url), request.headers);
 */
export function createFakeAlpacaRest(
  options: FakeAlpacaRestOptions,
  records: {
    keyId: string;
    secretKey: string;
    trades: Map<string, TradeRecord[]>;
    quotes: Map<string, QuoteRecord[]>;
  },
) {
  const { keyId, secretKey, trades, quotes } = records;
  const historyRequests: URL[] = [];
  const snapshotRequests: URL[] = [];
  const rate = { windowStart: Date.now(), used: 0, throttled: 0, resets: [] as number[] };
  /** History requests answered before the history starts failing with 500 (undefined: never). */
  let historyBudget: number | undefined;

  /** The budget's headers on every answer; 429 without Retry-After once it is spent. */
  function rest(url: URL, headers: Headers): Response {
    const limit = options.rateLimit;
    if (!limit) return route(url, headers);
    const now = Date.now();
    if (now - rate.windowStart >= limit.windowMs) {
      rate.windowStart = now;
      rate.used = 0;
    }
    rate.used += 1;
    const budget = {
      "X-RateLimit-Limit": String(limit.requests),
      "X-RateLimit-Remaining": String(Math.max(0, limit.requests - rate.used)),
      "X-RateLimit-Reset": String(Math.ceil((rate.windowStart + limit.windowMs) / 1000)),
    };
    if (rate.used > limit.requests) {
      rate.throttled += 1;
      rate.resets.push(Number(budget["X-RateLimit-Reset"]));
      return Response.json({ message: "too many requests." }, { status: 429, headers: budget });
    }
    const response = route(url, headers);
    for (const [name, value] of Object.entries(budget)) response.headers.set(name, value);
    return response;
  }

  function route(url: URL, headers: Headers): Response {
    if (
      headers.get("APCA-API-KEY-ID") !== keyId ||
      headers.get("APCA-API-SECRET-KEY") !== secretKey
    )
      return Response.json({ message: "unauthorized." }, { status: 401 });
    if (url.pathname === "/v2/stocks/snapshots") return snapshots(url);
    return history(url);
  }

  /** `{SYMBOL: {latestTrade, latestQuote}}` for every requested symbol with data. */
  function snapshots(url: URL): Response {
    snapshotRequests.push(url);
    const body: Record<string, unknown> = {};
    for (const symbol of (url.searchParams.get("symbols") ?? "").split(",").filter(Boolean)) {
      const latestTrade = trades.get(symbol)?.at(-1);
      const latestQuote = quotes.get(symbol)?.at(-1);
      if (latestTrade || latestQuote)
        body[symbol] = { latestTrade: latestTrade ?? null, latestQuote: latestQuote ?? null };
    }
    return Response.json(body);
  }

  function history(url: URL): Response {
    historyRequests.push(url);
    if (historyBudget !== undefined) {
      if (historyBudget <= 0) return Response.json({ message: "internal error" }, { status: 500 });
      historyBudget -= 1;
    }
    if (
      options.recentSipLimitMs !== undefined &&
      url.searchParams.get("feed") === "sip" &&
      Date.parse(url.searchParams.get("end") ?? new Date().toISOString()) >
        Date.now() - options.recentSipLimitMs
    )
      return Response.json(
        { message: "subscription does not permit querying recent SIP data" },
        { status: 403 },
      );
    const kind = url.pathname.split("/").pop();
    if (kind !== "trades" && kind !== "quotes")
      return Response.json({ message: "not found" }, { status: 404 });
    const symbols = (url.searchParams.get("symbols") ?? "").split(",").filter(Boolean).sort();
    const start = Date.parse(url.searchParams.get("start") ?? "1970-01-01T00:00:00Z");
    const end = Date.parse(url.searchParams.get("end") ?? new Date().toISOString());
    const limit = Math.min(
      Number(url.searchParams.get("limit") ?? 1000),
      options.maxPage ?? 10_000,
    );
    const offset = Number(url.searchParams.get("page_token") ?? 0);
    const store = kind === "trades" ? trades : quotes;
    // Sorted by symbol, then time, as Alpaca documents.
    const all = symbols.flatMap((symbol) =>
      (store.get(symbol) ?? [])
        .filter((record) => {
          const ms = Date.parse(record.t.replace(/(\.\d{3})\d+/, "$1"));
          return ms >= start && ms <= end;
        })
        .map((record) => ({ symbol, record })),
    );
    const page = all.slice(offset, offset + limit);
    const body: Record<string, unknown> = {};
    for (const { symbol, record } of page) {
      const list = (body[symbol] as unknown[] | undefined) ?? [];
      list.push(record);
      body[symbol] = list;
    }
    const next = offset + limit < all.length ? String(offset + limit) : null;
    return Response.json({ [kind]: body, next_page_token: next });
  }

  return {
    answer: rest,
    historyRequests,
    snapshotRequests,
    rate,
    /** Answers the next `requests` history requests, then 500 to every one (undefined: heal). */
    failHistoryAfter(requests: number | undefined) {
      historyBudget = requests;
    },
  };
}
