import { describe, expect, test } from "bun:test";
import { isRetriable, PipelineError } from "./errors.ts";
import { createLogger } from "./log.ts";
import { createSteps, Stopped } from "./steps.ts";

const transient = () => new PipelineError("Cassandra timed out", { retriable: true });

/** Steps over a fake consumer; `polls` steps wait through a fake clock that records each delay. */
function harness(options: { retryMaxDelayMs?: number } = {}) {
  const events: string[] = [];
  const delays: number[] = [];
  let stopping = false;
  const steps = createSteps({
    consumer: {
      pauseAll: () => void events.push("pause"),
      resumeAll: () => void events.push("resume"),
    },
    log: createLogger("steps-test", "fatal"),
    retryMaxDelayMs: options.retryMaxDelayMs ?? 5_000,
    isStopping: () => stopping,
    keepAlive: async (ms) => {
      delays.push(ms);
      await Bun.sleep(1);
    },
  });
  const stop = () => {
    stopping = true;
  };
  return { steps, events, delays, stop };
}

/** A task that fails with a transient error until `open()`, then answers `value`. */
function gate<T>(value: T) {
  let open = false;
  let failures = 0;
  return {
    task: async () => {
      if (open) return value;
      failures += 1;
      throw transient();
    },
    open: () => {
      open = true;
    },
    failures: () => failures,
  };
}

async function until(condition: () => boolean) {
  for (let i = 0; i < 2_000 && !condition(); i += 1) await Bun.sleep(1);
  expect(condition()).toBe(true);
}

describe("createSteps", () => {
  test("a transient failure pauses the consumer once, retries with growing jittered backoff and resumes when the step recovers", async () => {
    const h = harness();
    let attempts = 0;
    const result = await h.steps.run(
      "writeTicks",
      async () => {
        attempts += 1;
        if (attempts <= 3) throw transient();
        return "written";
      },
      true,
    );
    expect(result).toBe("written");
    expect(attempts).toBe(4);
    expect(h.events).toEqual(["pause", "resume"]);
    // Full jitter under a ceiling of 200 ms · 2ⁿ, never below half the 200 ms floor.
    expect(h.delays).toHaveLength(3);
    h.delays.forEach((delay, n) => {
      expect(delay).toBeGreaterThanOrEqual(100);
      expect(delay).toBeLessThanOrEqual(200 * 2 ** n);
    });
    expect(h.steps.failingStep()).toBeUndefined();
    expect(h.steps.anyFailing()).toBe(false);
  });

  test("the backoff never exceeds retryMaxDelayMs", async () => {
    const h = harness({ retryMaxDelayMs: 300 });
    let attempts = 0;
    await h.steps.run(
      "decode",
      async () => {
        if (++attempts <= 6) throw transient();
      },
      true,
    );
    expect(Math.max(...h.delays)).toBeLessThanOrEqual(300);
  });

  test("an error retrying cannot fix is thrown at once: no retry, the consumer is not paused", async () => {
    const h = harness();
    const refusal = new PipelineError("value does not fit the column", { retriable: false });
    let attempts = 0;
    const run = h.steps.run("writeBars", async () => {
      attempts += 1;
      throw refusal;
    });
    await expect(run).rejects.toBe(refusal);
    expect(attempts).toBe(1);
    expect(h.events).toEqual([]);
    expect(h.steps.failingStep()).toBeUndefined();
  });

  test("two steps failing in parallel keep the consumer paused and a step reported until both recovered, though the first to fail recovers first", async () => {
    const h = harness();
    const write = gate("written");
    const publish = gate("published");
    const writing = h.steps.run("writeIndicators", write.task, true);
    const publishing = h.steps.run("publishIndicators", publish.task, true);
    await until(() => write.failures() >= 2 && publish.failures() >= 2);
    expect(h.steps.failingStep()).toBe("writeIndicators");

    write.open();
    expect(await writing).toBe("written");
    // The first to recover must neither resume the consumer nor clear the report.
    expect(h.events).toEqual(["pause"]);
    expect(h.steps.failingStep()).toBe("publishIndicators");
    expect(h.steps.anyFailing()).toBe(true);

    publish.open();
    expect(await publishing).toBe("published");
    expect(h.events).toEqual(["pause", "resume"]);
    expect(h.steps.failingStep()).toBeUndefined();
  });

  test("one step retried by two batches stays reported until both batches recovered", async () => {
    const h = harness();
    const first = gate(1);
    const second = gate(2);
    const a = h.steps.run("writeTicks", first.task, true);
    const b = h.steps.run("writeTicks", second.task, true);
    await until(() => first.failures() >= 2 && second.failures() >= 2);

    first.open();
    expect(await a).toBe(1);
    expect(h.steps.failingStep()).toBe("writeTicks");
    expect(h.events).toEqual(["pause"]);

    second.open();
    expect(await b).toBe(2);
    expect(h.steps.failingStep()).toBeUndefined();
    expect(h.events).toEqual(["pause", "resume"]);
  });

  test("once the loop stops, a failing step gives up with Stopped, which nothing retries", async () => {
    const h = harness();
    const down = gate("never");
    const run = h.steps.run("deadLetter", down.task, true);
    await until(() => down.failures() >= 1);
    h.stop();
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stopped);
    expect(error).toBeInstanceOf(PipelineError);
    expect(isRetriable(error)).toBe(false);
  });

  test("a step that does not poll sleeps between attempts instead of polling through keepAlive", async () => {
    const h = harness({ retryMaxDelayMs: 1 });
    let attempts = 0;
    const started = performance.now();
    await h.steps.run("readMinutes", async () => {
      if (++attempts === 1) throw transient();
    });
    expect(attempts).toBe(2);
    expect(h.delays).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(h.events).toEqual(["pause", "resume"]);
  });
});
