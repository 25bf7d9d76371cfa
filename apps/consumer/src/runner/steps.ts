import type { ManualCommitConsumer } from "@repo/kafka-node";
import { isRetriable, PipelineError } from "@repo/platform/errors";
import type { Logger } from "@repo/platform/log";
import { backoffDelay, sleep } from "@repo/platform/retry";

/** Thrown by a retrying step once the runner stops: the batch is abandoned, not failed. */
export class Stopped extends PipelineError {
  override name = "Stopped";

  constructor() {
    super("the consumer is stopping: the batch is abandoned uncommitted", { retriable: false });
  }
}

export interface StepOptions {
  consumer: Pick<ManualCommitConsumer, "pauseAll" | "resumeAll">;
  log: Logger;
  retryMaxDelayMs: number;
  isStopping: () => boolean;
  /** Polls the paused consumer for a while (see the poller's keep-alive). */
  keepAlive: (ms: number) => Promise<void>;
}

/**
 * The runner's one retrier. A step runs until it succeeds or fails for good: an error that
 * retrying cannot fix ({@link isRetriable}) is thrown at once; a transient one pauses every
 * partition while any step retries, with jittered backoff, and resumes them when the last
 * failing step recovers. Steps of the polling loop itself (`polls`) keep the member in its group
 * while they wait; write steps leave that to the loop.
 *
 * @example
 *   const steps = createSteps({ consumer, log, retryMaxDelayMs: 5000, isStopping, keepAlive });
 *   const refused = await steps.run("writeTicks", () => store.writeTicks(ticks));
 */
export function createSteps(options: StepOptions) {
  const { consumer, log } = options;
  /** Steps being retried, with how many batches retry each (tick writes of several may). */
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
          if (polls) await options.keepAlive(delay);
          else await sleep(delay);
        }
      }
    },
    /** Whether any step is being retried now. */
    anyFailing: () => failing.size > 0,
    /** The step that is failing and being retried, if any. */
    failingStep: () => failing.keys().next().value as string | undefined,
  };
}

export type Steps = ReturnType<typeof createSteps>;
