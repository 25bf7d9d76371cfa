// How the operations views write numbers, times, durations and counts by reason.

/** A count as written (`1,234`), or a rate with `digits` decimals; `—` when unknown. */
export const num = (n: number | null | undefined, digits = 1) =>
  n === null || n === undefined
    ? "—"
    : Number.isInteger(n)
      ? n.toLocaleString("en-US")
      : n.toFixed(digits);

/** The time of day of an ISO time (`14:30:05`). */
export const clock = (iso: string | null | undefined) => (iso ? iso.slice(11, 19) : "—");

/** Date and time of an ISO time (`2026-11-20 14:30:05`). */
export const stamp = (iso: string | null | undefined) =>
  iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : "—";

/** A duration in ms below a second, else in seconds. */
export const age = (ms: number | null | undefined) =>
  ms === null || ms === undefined
    ? "—"
    : ms < 1000
      ? `${Math.round(ms)} ms`
      : `${(ms / 1000).toFixed(1)} s`;

/** Counts by reason (`stale 2, halted 1`), zeros left out; `0` when none. */
export const reasons = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ") || "0";
