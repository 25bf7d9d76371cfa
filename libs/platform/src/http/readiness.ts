import { sleep } from "../retry.ts";

/** What `/readyz` says of one dependency or condition: whether it holds now and, if not, why. */
export interface Check {
  ok: boolean;
  detail?: string;
}

/** The body of `GET /readyz` (besides `service`): ready when every check is ok. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, Check>;
}

/**
 * Asks one dependency whether it answers now (Kafka metadata, a Cassandra query, the registry):
 * `true`, `false` or a {@link Check} with its detail. A thrown error counts as `false`. It is given
 * the watch's timeout to bound its own sockets; past it the watch reports it not ok anyway.
 */
export type Probe = (timeoutMs: number) => Promise<boolean | Check>;

export interface ReadinessOptions {
  /** Dependencies asked at each round; `readiness()` shows their last answers. */
  probes?: Record<string, Probe>;
  /** In-process conditions read at each `readiness()` (held batches, streams). */
  checks?: () => Record<string, Check>;
  /** The step a loop is retrying, if any: the `pipeline` check, not ok while there is one. */
  failingStep?: () => string | undefined;
  /** Runs after each round (e.g. refreshing the partition lag); its errors are ignored. */
  refresh?: () => Promise<void>;
  /** Time between rounds once started (default 1 s). */
  intervalMs?: number;
  /** A probe that has not answered within it is not ok (default 5 s). */
  timeoutMs?: number;
}

/** A service's readiness: its probes' last answers and its in-process checks. */
export interface ReadinessWatch {
  /** Runs rounds in the background every `intervalMs` until {@link stop}, so `/readyz` never waits. */
  start(): void;
  /** Ends the background rounds; resolves once the current one finished. */
  stop(): Promise<void>;
  /** Runs one round now and answers what `/readyz` says after it. */
  round(): Promise<Readiness>;
  /** Whether the named probe's last answer was ok. */
  healthy(name: string): boolean;
  /** What `/readyz` answers now. */
  readiness(): Readiness;
}

/**
 * The one readiness of every service: probes of its dependencies, asked in the background (or on
 * demand with {@link ReadinessWatch.round}), plus in-process checks; ready when every check is ok.
 * Before the first round a probe is `{ ok: false, detail: "not checked yet" }`.
 *
 * @example
 *   const health = createReadinessWatch({
 *     probes: { kafka: () => consumer.ping(2000), cassandra: () => store.ping() },
 *     failingStep: runner.failingStep,
 *   });
 *   health.start();
 *   health.readiness(); // { ready: true, checks: { kafka: { ok: true }, cassandra: { ok: true }, pipeline: { ok: true } } }
 */
export function createReadinessWatch(options: ReadinessOptions): ReadinessWatch {
  const probes = Object.entries(options.probes ?? {});
  const timeoutMs = options.timeoutMs ?? 5_000;
  const last = new Map<string, Check>(
    probes.map(([name]) => [name, { ok: false, detail: "not checked yet" }]),
  );
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;

  const readiness = () =>
    readinessOf({
      ...Object.fromEntries(last),
      ...(options.failingStep && { pipeline: retryingCheck(options.failingStep()) }),
      ...options.checks?.(),
    });

  async function round(): Promise<Readiness> {
    const answers = await Promise.all(probes.map(([, probe]) => ask(probe, timeoutMs)));
    probes.forEach(([name], i) => {
      last.set(name, answers[i] ?? { ok: false });
    });
    await options.refresh?.().catch(() => {});
    return readiness();
  }

  return {
    start() {
      loop ??= (async () => {
        while (!stopping.signal.aborted) {
          await round();
          await sleep(options.intervalMs ?? 1_000, stopping.signal);
        }
      })();
    },
    async stop() {
      stopping.abort();
      await loop;
    },
    round,
    healthy: (name) => last.get(name)?.ok ?? false,
    readiness,
  };
}

/**
 * A readiness from its checks: ready when every one is ok.
 *
 * @example
 *   readinessOf({ kafka: { ok: true }, cassandra: { ok: false } }).ready; // false
 */
export function readinessOf(checks: Record<string, Check>): Readiness {
  return { ready: Object.values(checks).every((check) => check.ok), checks };
}

function retryingCheck(failingStep: string | undefined): Check {
  return failingStep ? { ok: false, detail: `retrying ${failingStep}` } : { ok: true };
}

async function ask(probe: Probe, timeoutMs: number): Promise<Check> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<Check>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([
      probe(timeoutMs).then(
        (answer) => (typeof answer === "boolean" ? { ok: answer } : answer),
        () => ({ ok: false }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** What a service that consumes a topic into Cassandra depends on (the consumer and analytics). */
export interface ConsumingServiceDeps {
  /** Its Kafka consumer. */
  consumer: { ping(timeoutMs: number): Promise<boolean> };
  /** Its Cassandra store. */
  store: { ping(): Promise<boolean> };
  /** Whether the schema registry answers. */
  registry: () => Promise<boolean>;
  /** The step its loop is retrying, if any (the `pipeline` check). */
  failingStep: () => string | undefined;
  refresh?: () => Promise<void>;
  intervalMs?: number;
}

/**
 * The readiness of a service that consumes a topic into Cassandra: Kafka, Cassandra and the
 * registry answer, probed in the background, and no step of its loop is being retried.
 *
 * @example
 *   const health = consumingServiceReadiness({ consumer, store, registry: () => registry.ping(), failingStep });
 *   health.start();
 */
export function consumingServiceReadiness(deps: ConsumingServiceDeps): ReadinessWatch {
  return createReadinessWatch({
    probes: {
      kafka: () => deps.consumer.ping(2_000),
      cassandra: () => deps.store.ping(),
      registry: () => deps.registry(),
    },
    failingStep: deps.failingStep,
    refresh: deps.refresh,
    intervalMs: deps.intervalMs,
  });
}
