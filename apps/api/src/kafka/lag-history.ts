/** How far back a group's trend looks, and how many samples are kept per group. */
const WINDOW_MS = 5 * 60_000;
const MAX_SAMPLES = 60;
const MAX_GROUPS = 500;

export type TrendDirection = "growing" | "shrinking" | "steady" | "unknown";

/**
 * Each group's total lag as the console last saw it (one sample per answer, at least a second
 * apart, the last 5 minutes, at most 60), and whether it grows: the trend `/v1/kafka/groups` shows.
 *
 * @example
 *   const history = createLagHistory();
 *   history.record("market-consumer", Date.now(), 120); // { direction: "unknown", samples: [...] }
 */
export function createLagHistory() {
  const samples = new Map<string, { at: number; lag: number }[]>();
  return {
    record(group: string, at: number, lag: number) {
      let list = samples.get(group);
      if (!list) {
        if (samples.size >= MAX_GROUPS) samples.delete(samples.keys().next().value as string);
        list = [];
        samples.set(group, list);
      }
      const last = list.at(-1);
      if (!last || at - last.at >= 1000) list.push({ at, lag });
      while (list.length > MAX_SAMPLES || (list[0] && at - list[0].at > WINDOW_MS)) list.shift();
      const first = list[0] as { at: number; lag: number };
      const direction: TrendDirection =
        list.length < 2
          ? "unknown"
          : lag > first.lag
            ? "growing"
            : lag < first.lag
              ? "shrinking"
              : "steady";
      return {
        direction,
        samples: list.map((s) => ({ at: new Date(s.at).toISOString(), lag: s.lag })),
      };
    },
  };
}
