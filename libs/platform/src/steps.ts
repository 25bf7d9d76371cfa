import { isRetriable, PipelineError } from "./errors.ts";
import type { Logger } from "./log.ts";
import { backoffDelay, sleep } from "./retry.ts";

/** Thrown by a retrying step once its loop stops: the batch is abandoned, not failed. */
export class Stopped extends PipelineError {
  override name = "Stopped";

  constructor() {
    super("the loop is stopping: the batch is abandoned uncommitted", { retriable: false });
  }
}

export interface StepOptions {
  /** The consumer whose partitions are paused while any step retries. */
  consumer: { pauseAll(): void; resumeAll(): void };
  log: Logger;
  retryMaxDelayMs: number;
  /** Once true, a failed attempt throws {@link Stopped} instead of waiting for the next. */
  isStopping: () => boolean;
  /**
   * Waits `ms` between attempts of a step run with `polls` (polling the paused consumer, so the
   * member keeps its group); without it such steps sleep like the others.
   */
  keepAlive?: (ms: number) => Promise<void>;
}

/**
 * A consumer loop's one retrier. A step runs until it succeeds or fails for good: an error that
 * retrying cannot fix ({@link isRetriable}) is thrown at once; a transient one pauses every
 * partition while any step retries, with jittered backoff, and resumes them when the last
 * failing step recovers, so steps retried in parallel keep the loop paused (and `failingStep`
 * set, which readiness reports) until every one of them succeeded. Steps of the polling loop
 * itself (`polls`) wait through `keepAlive`; the others sleep.
 *
 * @example
 *   const steps = createSteps({ consumer, log, retryMaxDelayMs: 5000, isStopping: () => stopping });
 *   const refused = await steps.run("writeTicks", () => store.writeTicks(ticks));
 */
export function createSteps(options: StepOptions) {
  const { consumer, log } = options;
  /** Steps being retried, with how many callers retry each (several batches may run one step). */
  const failing = new Map<string, number>();
  return {
    async run<T>(name: string, task: () => Promise<T>, polls = false): Promise<T> {
      for (let attempt = 0; ; attempt += 1) {
        try {
          const result = await task();
          if (attempt > 0) {
            const others = (failing.get(name) ?? 1) - 1;
            if (others > 0) failing.set(name, others);
            else failing.delete(name);
            log.info({ step: name, attempts: attempt + 1 }, "recovered");
            if (failing.size === 0) consumer.resumeAll();
          }
          return result;
        } catch (error) {
          if (options.isStopping()) throw new Stopped();
          if (!isRetriable(error)) throw error;
          if (failing.size === 0) consumer.pauseAll();
          if (attempt === 0) failing.set(name, (failing.get(name) ?? 0) + 1);
          const delay = backoffDelay(attempt, {
            minDelayMs: 200,
            maxDelayMs: options.retryMaxDelayMs,
          });
          log.warn(
            { step: name, attempt, delayMs: Math.round(delay), err: error },
            "step failed; retrying",
          );
          if (polls && options.keepAlive) await options.keepAlive(delay);
          else await sleep(delay);
        }
      }
    },
    /** Whether any step is being retried now. */
    anyFailing: () => failing.size > 0,
    /** A step that is failing and being retried (the longest-failing one), if any. */
    failingStep: () => failing.keys().next().value as string | undefined,
  };
}

export type Steps = ReturnType<typeof createSteps>;
