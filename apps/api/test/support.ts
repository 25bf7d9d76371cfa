/**
 * The api against a real pipeline: producer and consumer on an isolated prefix and keyspace (see
 * testkit's startPipeline), the api reading that keyspace, ticks posted through the producer.
 */
import { connect } from "node:net";
import { seededRandom } from "@repo/platform/random";
import {
  buildApp,
  chromiumPath,
  consumerCaughtUp,
  eventually,
  freePort,
  type Pipeline,
  postTickRecords,
  type RunningService,
  startPipeline,
  startService,
} from "@repo/testkit";
import { chromium, type Page } from "playwright-core";

export interface ApiPipeline {
  pipeline: Pipeline;
  api: RunningService;
  /** Posts ticks (JSON form) through the producer in batches; resolves when Kafka acknowledged. */
  post(ticks: Record<string, unknown>[]): Promise<void>;
  /** Waits until the consumer stored at least `written` ticks in total and its lag is 0. */
  stored(written: number): Promise<void>;
  /** Starts ingest (simulator) at the address the api's pipeline health already reads. */
  startIngest(env: Record<string, string>): Promise<RunningService>;
}

/**
 * Starts producer, consumer and the api on an isolated topic prefix and keyspace (ingest later, on
 * demand, so a test can first wait for its own ticks with the lag at 0). The consumer keeps bars
 * open for 10 days (BAR_LATE_ALLOWANCE_MS) so backfilled history gets its bars.
 */
export async function startApiPipeline(
  name: string,
  apiEnv: Record<string, string> = {},
): Promise<ApiPipeline> {
  const [pipeline] = await Promise.all([
    startPipeline(name, { BAR_LATE_ALLOWANCE_MS: String(10 * 86_400_000) }),
    buildApp("api"),
  ]);
  let api: RunningService;
  // Nothing listens on these: the api answers ingest_/analytics_unavailable, and a page never reaches
  // whatever happens to run on the default ports (an analytics on 3005 would feed its alert stream).
  const [ingestPort, analyticsPort] = [await freePort(), await freePort()];
  try {
    api = await startService(
      "api",
      {
        CASSANDRA_KEYSPACE: pipeline.keyspace,
        PRODUCER_URL: pipeline.producer.url,
        CONSUMER_URL: pipeline.consumer.url,
        INGEST_URL: `http://127.0.0.1:${ingestPort}`,
        ANALYTICS_URL: `http://127.0.0.1:${analyticsPort}`,
        TOPIC_PREFIX: pipeline.prefix,
        ...apiEnv,
      },
      { waitFor: "readyz" },
    );
  } catch (error) {
    await pipeline.close();
    throw error;
  }
  pipeline.services.push(api);
  return {
    pipeline,
    api,
    post: (ticks) =>
      postTickRecords(
        pipeline.producer,
        ticks.map((value) => ({ value })),
      ),
    async stored(written) {
      await consumerCaughtUp(pipeline.consumer, written, { diagnose: pipeline.diagnose });
    },
    startIngest: (env) => pipeline.startIngest({ ...env, PORT: String(ingestPort) }),
  };
}

/** `2026-01-05T14:30:00.123456Z` for epoch milliseconds plus extra microseconds. */
export const iso = (ms: number, micros = 0) =>
  new Date(ms).toISOString().replace("Z", `${String(micros).padStart(3, "0")}Z`);

/** A deterministic pseudo-random source (mulberry32) so failures reproduce. */
export const seeded = seededRandom;

/**
 * Trades (and every fifth tick a quote) for `symbols` every `stepMs` over [fromMs, toMs), prices a
 * random walk with 6 decimals, in event-time order.
 */
export function marketTicks(options: {
  symbols: string[];
  fromMs: number;
  toMs: number;
  stepMs: number;
  source: string;
  seed: number;
}): Record<string, unknown>[] {
  const random = seeded(options.seed);
  const ticks: Record<string, unknown>[] = [];
  const prices = new Map(options.symbols.map((s, i) => [s, 100_000_000 + i * 50_000_000]));
  let sequence = 0;
  for (let ms = options.fromMs; ms < options.toMs; ms += options.stepMs) {
    for (const symbol of options.symbols) {
      sequence += 1;
      const previous = prices.get(symbol) ?? 100_000_000;
      const price = Math.max(1_000_000, previous + Math.round((random() - 0.5) * 400_000));
      prices.set(symbol, price);
      const micros = Math.floor(random() * 1000);
      const eventTime = iso(ms + Math.floor(random() * options.stepMs * 0.9), micros);
      const quote = sequence % 5 === 0;
      ticks.push({
        source: options.source,
        symbol,
        kind: quote ? "QUOTE" : "TRADE",
        eventTime,
        sequence,
        price: decimal(price),
        size: quote ? 0 : 1 + Math.floor(random() * 5000),
        ...(quote ? { bid: decimal(price - 10_000), ask: decimal(price + 10_000) } : {}),
        exchange: "XNAS",
        ingestTime: eventTime,
      });
    }
  }
  return ticks;
}

const decimal = (micros: number) =>
  `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, "0")}`;

export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Opens an SSE stream with fetch and collects its events, so a test can wait for one.
 *
 * @example
 *   const sse = await openStream(`${api.url}/v1/stream?symbols=AAPL`);
 *   await sse.next((e) => e.event === "quote");
 */
export async function openStream(url: string) {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  if (response.status !== 200 || !response.body)
    throw new Error(`stream answered ${response.status}: ${await response.text()}`);
  const events: SseEvent[] = [];
  const contentType = response.headers.get("content-type");
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body as ReadableStream<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message";
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
          }
          if (data.length > 0) events.push({ event, data: data.join("\n") });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    contentType,
    events,
    /** The first event (after `skip` earlier ones) matching `match`, waiting up to 30 s. */
    next(match: (event: SseEvent) => boolean, message = "no matching SSE event") {
      return eventually(() => events.find(match), { timeoutMs: 30_000, intervalMs: 50, message });
    },
    close: () => controller.abort(),
  };
}

/** An SSE connection over a raw socket, so a test controls whether (and from where) it reads. */
/** How much of a raw stream's latest text is kept. */
const KEEP_CHARS = 256 * 1024;

export interface RawStream {
  /** What was read last (HTTP head, chunk framing and events; at least the last 256 KiB). */
  text(): string;
  /** Events of `name` read so far. */
  count(name: string): number;
  /** Whether the server ended or cut the connection. */
  closed(): boolean;
  close(): void;
}

/**
 * Opens `GET path` on 127.0.0.1:`port` from `localAddress` (any 127.x.y.z) as an EventSource would
 * (`Accept: text/event-stream`). A reading stream keeps everything it receives; a non-reading one
 * never takes a byte off its socket, so the server's writes back up as they would for a stalled
 * client.
 *
 * @example
 *   const slow = await openRawStream(port, "/v1/stream", { read: false, localAddress: "127.0.0.7" });
 */
export function openRawStream(
  port: number,
  path: string,
  options: { read: boolean; localAddress?: string; accept?: string },
): Promise<RawStream> {
  return new Promise((resolveStream, reject) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress: options.localAddress });
    const chunks: string[] = [];
    let kept = 0;
    let ended = false;
    const counts = new Map<string, number>();
    socket.once("error", (error) => {
      ended = true;
      reject(error);
    });
    socket.on("close", () => {
      ended = true;
    });
    socket.once("connect", () => {
      socket.on("error", () => {});
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: ${options.accept ?? "text/event-stream"}\r\n\r\n`,
      );
      if (options.read) {
        socket.setEncoding("utf8");
        let tail = "";
        socket.on("data", (chunk: string) => {
          chunks.push(chunk);
          kept += chunk.length;
          while (kept - (chunks[0]?.length ?? 0) > KEEP_CHARS) kept -= chunks.shift()?.length ?? 0;
          tail += chunk;
          const end = tail.lastIndexOf("\n");
          if (end < 0) return;
          for (const match of tail.slice(0, end).matchAll(/^event: (\w+)$/gm))
            counts.set(match[1] as string, (counts.get(match[1] as string) ?? 0) + 1);
          tail = tail.slice(end + 1);
        });
      } else socket.pause();
      resolveStream({
        text: () => chunks.join(""),
        count: (name) => counts.get(name) ?? 0,
        closed: () => ended,
        close: () => socket.destroy(),
      });
    });
  });
}

/**
 * Debian's Chromium, headless, on `profile` (a throw-away folder the caller removes afterwards), and
 * its first page: what every dashboard test drives.
 *
 * @example
 *   const { browser, page } = await launchChromium(profile, { width: 1400, height: 1000 });
 */
export async function launchChromium(profile: string, viewport: { width: number; height: number }) {
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  return { browser, page };
}

/**
 * Collects into `problems` what goes wrong on `page` as its user would see it: console errors,
 * uncaught page errors, failed requests `failedRequest` counts (by URL) and, when `badResponse` is
 * given, answers of 400 and over it counts; Chromium's own "Failed to load resource" console line
 * for such an answer is then left to that check. A request cancelled before its answer
 * (`net::ERR_ABORTED`: the test navigated while it was in flight) is not a failure: a refused,
 * reset or empty answer has its own error text and still counts.
 *
 * @example
 *   const problems: string[] = [];
 *   collectPageProblems(page, problems, { failedRequest: (url) => !url.includes("/v1/stream") });
 *   expect(problems).toEqual([]);
 */
export function collectPageProblems(
  page: Page,
  problems: string[],
  judge: { failedRequest?: (url: string) => boolean; badResponse?: (url: string) => boolean },
): void {
  const { failedRequest, badResponse } = judge;
  if (badResponse)
    page.on("response", (response) => {
      if (response.status() >= 400 && badResponse(response.url()))
        problems.push(`response: ${response.status()} ${response.url()}`);
    });
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    if (badResponse && message.text().startsWith("Failed to load resource: the server responded"))
      return;
    problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  if (failedRequest)
    page.on("requestfailed", (request) => {
      const errorText = request.failure()?.errorText;
      if (errorText !== "net::ERR_ABORTED" && failedRequest(request.url()))
        problems.push(`request failed: ${request.url()} ${errorText}`);
    });
}
