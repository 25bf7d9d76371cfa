import { ApiError, echo } from "@repo/platform/http";
import type { Logger } from "@repo/platform/log";
import type { Provider, StreamProvider } from "../providers/provider.ts";
import type { Run } from "../runs/run.ts";
import type { Schedule } from "../schedule/scheduler.ts";
import type { ProviderStateStore } from "../storage/storage.ts";

export interface PolledProvider {
  provider: Provider;
  schedule: Schedule;
}

/** What `GET /providers` shows of one provider. */
export interface ProviderView {
  name: string;
  mode: "poll" | "stream";
  paused: boolean;
  pausedAt: string | null;
  pausedBy: string | null;
  schedule: ReturnType<Schedule["view"]> | null;
  /** Stream providers: their state (see `GET /streams`). */
  state?: unknown;
}

/**
 * The operator's hand on the providers: list them with their schedules, run a polled provider now,
 * pause and resume a polled provider's schedule or a stream's connection. Pauses are stored
 * (`ingest_provider_state`) and applied again after a restart.
 *
 * @example
 *   const control = createProviderControl({ polled, streams, store, log });
 *   await control.restore(); // pauses saved before the restart
 *   await control.pause("simulator", "alice");
 */
export function createProviderControl(options: {
  polled: readonly PolledProvider[];
  streams: readonly StreamProvider[];
  store: ProviderStateStore;
  log: Logger;
}) {
  const { polled, streams, store, log } = options;
  const changes = new Map<string, { at: string; by: string | null }>();
  /** Providers whose pause or resume was decided here since start (a late restore must not undo it). */
  const decided = new Set<string>();

  const polledNamed = (name: string) => {
    const found = polled.find((entry) => entry.provider.name === name);
    if (found) return found;
    if (streams.some((stream) => stream.name === name))
      throw new ApiError(
        409,
        "provider_streams",
        `${echo(name)} streams continuously; only polled providers can be run now (pause and resume it instead)`,
        { provider: name, mode: "stream" },
      );
    throw new ApiError(404, "unknown_provider", `no provider ${echo(name)} in INGEST_PROVIDERS`, {
      providers: names(),
    });
  };
  const names = () => [...polled.map((p) => p.provider.name), ...streams.map((s) => s.name)];

  /** What pause and resume act on: a polled provider's schedule, or a stream that can pause. */
  const pausable = (name: string) => {
    const entry = polled.find((p) => p.provider.name === name);
    if (entry) return entry.schedule;
    const stream = streams.find((s) => s.name === name);
    if (stream?.pause && stream.resume) {
      const { pause, resume } = stream;
      return { pause: () => pause.call(stream), resume: () => resume.call(stream) };
    }
    if (stream)
      throw new ApiError(409, "not_pausable", `${echo(name)} cannot be paused`, {
        provider: name,
      });
    return polledNamed(name).schedule;
  };

  async function setPaused(name: string, paused: boolean, by: string | null) {
    const target = pausable(name);
    const at = new Date().toISOString();
    await store.save({ provider: name, paused, changedAt: at, changedBy: by });
    decided.add(name);
    if (paused) await target.pause();
    else target.resume();
    changes.set(name, { at, by });
    log.info({ provider: name, by }, paused ? "provider paused" : "provider resumed");
    return view(name);
  }

  function view(name: string): ProviderView {
    const entry = polled.find((p) => p.provider.name === name);
    const change = changes.get(name);
    if (entry) {
      const paused = entry.schedule.paused;
      return {
        name,
        mode: "poll",
        paused,
        pausedAt: paused ? (change?.at ?? null) : null,
        pausedBy: paused ? (change?.by ?? null) : null,
        schedule: entry.schedule.view(),
      };
    }
    const stream = streams.find((s) => s.name === name);
    const state = (stream?.view() as { state?: unknown } | undefined)?.state;
    const paused = stream?.paused === true;
    return {
      name,
      mode: "stream",
      paused,
      pausedAt: paused ? (change?.at ?? null) : null,
      pausedBy: paused ? (change?.by ?? null) : null,
      schedule: null,
      state,
    };
  }

  return {
    list: (): ProviderView[] => names().map(view),
    view: (name: string) => {
      if (!names().includes(name))
        throw new ApiError(
          404,
          "unknown_provider",
          `no provider ${echo(name)} in INGEST_PROVIDERS`,
          {
            providers: names(),
          },
        );
      return view(name);
    },
    /**
     * Polls now as a `manual` run and resolves it once the poll ended (its records may still be on
     * their way: `pending`). 409 while paused or while a poll of it is running.
     */
    async runNow(name: string): Promise<Run | undefined> {
      const { schedule } = polledNamed(name);
      if (schedule.paused)
        throw new ApiError(409, "provider_paused", `${echo(name)} is paused; resume it first`, {
          provider: name,
        });
      const outcome = await schedule.runNow();
      if (!outcome.ran)
        throw new ApiError(409, "run_in_progress", `a poll of ${echo(name)} is running`, {
          provider: name,
        });
      return outcome.result as Run | undefined;
    },
    pause: (name: string, by: string | null) => setPaused(name, true, by),
    resume: (name: string, by: string | null) => setPaused(name, false, by),
    /** Applies the pauses stored before a restart (throws while the store cannot be read). */
    async restore() {
      for (const state of await store.list()) {
        if (!names().includes(state.provider) || decided.has(state.provider)) continue;
        changes.set(state.provider, { at: state.changedAt, by: state.changedBy });
        if (!state.paused) continue;
        try {
          await pausable(state.provider).pause();
        } catch {
          continue;
        }
        log.info(
          { provider: state.provider, since: state.changedAt, by: state.changedBy },
          "provider stays paused (paused before the restart)",
        );
      }
    },
  };
}

export type ProviderControl = ReturnType<typeof createProviderControl>;
