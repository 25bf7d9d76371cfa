/**
 * What ingest did, as runs (the Airflow grid): every poll, stream session, gap recovery and backfill
 * of a provider, with its counts. A run's counts follow its records to the producer: `forwarded`
 * and producer refusals arrive after the run's body ended, so a run is final once every record it
 * accepted left the buffer (`pending` 0).
 */

/** What kind of work a run is. */
export const RUN_KINDS = ["poll", "stream_session", "gap_recovery", "backfill"] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** What started it: the provider's schedule, an operator (`POST /providers/{name}/run`, a backfill) or the stream itself. */
export type RunTrigger = "schedule" | "manual" | "stream";

/**
 * How it ended: `running` until then; `ok`; `failed` (the error says why); `cancelled` by an
 * operator; `interrupted` by a shutdown (a backfill resumes after the restart).
 */
export type RunOutcome = "running" | "ok" | "failed" | "cancelled" | "interrupted";

/** The counts of one run, updated as its records move. */
export interface RunTally {
  /** Records read from the provider (ticks and unreadable payloads). */
  fetched: number;
  /** Records the gates passed into the buffer. */
  accepted: number;
  /** Records the producer took. */
  forwarded: number;
  /** Refused records by reason: gate refusals, `malformed_payload`, producer refusals. */
  refused: Record<string, number>;
  /** Records read and deliberately not offered (busted trades), by reason. */
  skipped: Record<string, number>;
  /** Records that never reached the producer: the buffer was full, or a shutdown ended its grace. */
  dropped: number;
  /** Accepted records still buffered. */
  pending: number;
}

/** One run as listed by `GET /runs` and stored in `ingest_runs`. */
export interface Run extends Omit<RunTally, "pending"> {
  id: string;
  provider: string;
  kind: RunKind;
  trigger: RunTrigger;
  /** ISO-8601. */
  startedAt: string;
  /** When its work ended (its records may still be on their way); null while running. */
  endedAt: string | null;
  outcome: RunOutcome;
  error: string | null;
  /** What the run covered: symbols, a gap's range, a backfill's id and unit. */
  detail: Record<string, unknown>;
  /** Accepted records not yet forwarded or refused. */
  pending: number;
}

/**
 * A fresh tally.
 *
 * @example
 *   const tally = emptyTally(); tally.fetched += 10;
 */
export function emptyTally(): RunTally {
  return {
    fetched: 0,
    accepted: 0,
    forwarded: 0,
    refused: {},
    skipped: {},
    dropped: 0,
    pending: 0,
  };
}

/** Adds `count` to `counts[reason]`. */
export function addTo(counts: Record<string, number>, reason: string, count = 1): void {
  if (count > 0) counts[reason] = (counts[reason] ?? 0) + count;
}
