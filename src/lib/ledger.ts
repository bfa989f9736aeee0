/**
 * The run ledger: every run a job makes, live or manual, as the domain sees it.
 *
 * A run is `(jobId, series, index)`. The live schedule is one series (its index is the schedule's
 * iteration); each trigger or backfill request is another (its index counts from 0 inside the request).
 * Every series goes through the same exactly-once protocol (src/lib/attempt.ts): begin → replay if settled
 * → step → settle → lost race. What differs between series is only the parent whose counters a settle
 * moves — the job item for the live series, the request item for a manual one — and how the next cursor
 * is built; both are parameters here, not second code paths.
 *
 * Invariant, for every parent: each index has at most one outcome (SUCCEEDED, FAILED, or SKIPPED with a
 * reason and its planned time), a settled run is never begun again, and the parent's counters equal its
 * settled items (its `cursor` says how far they are counted).
 */
import type { ExtraKind } from './extra-runs';
import type { ActionRun } from './fanout';
import type { JsonValue } from './json';
import type { Job, Phase, SkippedRuns } from './job';
import type { JobStatus } from './status';

/** Which sequence a run belongs to: the live schedule, or one trigger or backfill request. */
export type Series = { kind: 'live' } | { kind: ExtraKind; requestId: string };

export const LIVE: Series = { kind: 'live' };

/** A manual series of a request. @example requestSeries('backfill', '20261124T101500123Z-backfill-3fa9c2') */
export function requestSeries(kind: ExtraKind, requestId: string): Series {
  return { kind, requestId };
}

export function isLive(series: Series): series is { kind: 'live' } {
  return series.kind === 'live';
}

export type RunState = 'STARTED' | 'SUCCEEDED' | 'FAILED' | 'SKIPPED';

export interface RunRecord {
  jobId: string;
  /** `live`, `trigger` or `backfill`. */
  kind: Series['kind'];
  /** Set for a manual run: the request it belongs to. */
  requestId?: string;
  /** Position in its series: the iteration for a live run, 0.. inside a request for a manual one. */
  index: number;
  /** The schedule's iteration the run stands for (a backfilled run's planned run; a trigger's next live run). */
  iteration: number;
  phase: Phase;
  /** When the schedule said it should run (ISO, UTC). */
  plannedAt: string;
  startedAt: string;
  finishedAt?: string;
  /** Real elapsed milliseconds of the step (what Lambda bills), whatever the clock. */
  durationMs?: number;
  /** How many times a task invocation began this run (1 when it passed first time). */
  attempts: number;
  /** The attempts before the current (or settling) one, oldest first, the last ATTEMPTS_KEPT. */
  earlierAttempts?: AttemptRecord[];
  state: RunState;
  result?: JsonValue;
  error?: { name: string; message: string };
  /** The job status this run left behind (DAY_3_COMPLETE, SCHEDULED, FAILED, …); live runs only. */
  statusAfter?: JobStatus;
  executionArn?: string;
  /** When the failure was delivered to the job's failureDestination. */
  failureDeliveredAt?: string;
  /** A SKIPPED item stands for the runs from `index` to `skippedThrough`, and says why. */
  skippedThrough?: number;
  skipReason?: SkippedRuns['reason'];
  /** A fan-out run's actions (src/lib/fanout.ts), each with its own key, attempts and outcome, by index. */
  actions?: ActionRun[];
}

/**
 * One attempt at a run that did not settle it (an earlier attempt of a retried run), as the run item keeps
 * it: the last ATTEMPTS_KEPT of them. The attempt that settled the run is the run's own fields.
 */
export interface AttemptRecord {
  /** 1 for the first attempt. */
  attempt: number;
  startedAt: string;
  /** When the attempt's step threw; absent when it ended without a record (a timeout, a crash). */
  endedAt?: string;
  error?: { name: string; message: string };
  /** From this attempt's end (or start, when its end is unknown) to the next attempt's start. */
  delayMs?: number;
}

/** Earlier attempts a run item keeps; older ones are dropped (the count `attempts` still says how many). */
export const ATTEMPTS_KEPT = 10;

/** The job's latest counted live run (SUCCEEDED or FAILED), kept on the job item by the settle that counts it. */
export interface LastRun {
  index: number;
  state: 'SUCCEEDED' | 'FAILED';
  finishedAt: string;
  error?: { name: string; message: string };
}

export interface RunRef {
  jobId: string;
  series: Series;
  index: number;
}

export interface BeginInput extends RunRef {
  /** The job, so a job started from the Step Functions console gets its item at its first run. */
  job: Job;
  iteration: number;
  phase: Phase;
  plannedAt: string;
  totalRuns: number | null;
  executionArn?: string;
  now: Date;
  /** Real time (epoch ms) whatever the clock: a failed run's duration is measured from it. Default: `now`. */
  realNowMs?: number;
  /** The first run of an execution: say in `executionListed` whether the job item already lists `executionArn`. */
  checkExecution?: boolean;
}

/**
 * What begin found: a fresh or retried attempt to run, or a run that is already settled. `executionListed`
 * answers `checkExecution` (absent: not known, so the caller records the execution to be sure).
 */
export type BeginOutcome = ({ kind: 'run'; attempts: number } | { kind: 'already-settled'; run: RunRecord }) & { executionListed?: boolean };

/**
 * What a settled run does to its parent, kept on the run item too so whoever finds the run settled but
 * not counted (a losing finisher, a re-delivered invocation after a crash between the two writes) can
 * finish the count from the item alone.
 */
export interface ParentChange {
  outcome: 'SUCCEEDED' | 'FAILED';
  /** Live series: the job's status afterwards (undefined leaves it as it is). A request's is its own. */
  status?: JobStatus;
  /** Live series: the job's next run. */
  nextRunAt?: string | null;
  finalReport?: JsonValue;
  /** Why the parent failed (abort policy). */
  reason?: string;
  /** Real elapsed milliseconds, added to the job's run-time total. */
  durationMs?: number;
}

export type SettleOutcome =
  | { state: 'SUCCEEDED'; result: JsonValue; durationMs: number; finalReport?: JsonValue }
  | { state: 'FAILED'; error: { name: string; message: string }; policy: FailurePolicy };

export type FailurePolicy = 'abort' | 'continue';

export interface SettleInput extends RunRef {
  outcome: SettleOutcome;
  /** What the parent becomes (src/lib/attempt.ts builds it with `parentChange`). */
  change: ParentChange;
  /** Needed to record a failure of a run that was never begun (its begin was what kept failing). */
  phase: Phase;
  iteration: number;
  plannedAt: string;
  now: Date;
  /** Real time (epoch ms): a failure's duration is the real time since its last begin. Default: `now`. */
  realNowMs?: number;
  /** TTL (epoch seconds) for the run item, and for the parent when this settle ends it. */
  expiresAt?: number;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  cursor?: string;
}

/** Which runs a listing returns: the live series in index order, or the manual ones newest first. */
export type SeriesFilter = 'live' | 'manual';

export interface RunLedger {
  /**
   * Begin (or begin again after an attempt that died) a run. Admits a run never begun or left STARTED;
   * a settled run comes back as `already-settled` (and is counted on its parent if a crash kept it from
   * that). Throws JobNotActiveError when the parent no longer runs anything (a final or paused job, an
   * ended request).
   */
  begin(input: BeginInput): Promise<BeginOutcome>;
  /**
   * Record a run's outcome and count it on its parent. Of two settlers exactly one wins; the other gets
   * RunAlreadyFinishedError. A run settled on a parent that stopped meanwhile is still counted (counters
   * equal items), but never moves a final or paused parent's status.
   */
  settle(input: SettleInput): Promise<RunRecord>;
  get(ref: RunRef): Promise<RunRecord | undefined>;
  /**
   * A page of a job's runs: the live series oldest first (`order: 'desc'`: newest first), or the manual
   * runs newest request first.
   */
  list(jobId: string, series: SeriesFilter, query: { limit: number; cursor?: string; order?: 'asc' | 'desc' }): Promise<Page<RunRecord>>;
  /**
   * Note why the current attempt of a run failed (its step threw), so the next attempt's begin can keep it
   * in the run's attempts. Optional: a ledger without it keeps only what begin and settle know.
   */
  recordAttemptFailure?(ref: RunRef, failure: { attempt: number; error: { name: string; message: string }; now: Date }): Promise<void>;
  /**
   * Record runs the calculator passed over (catch-up, overlap) as SKIPPED, with their reason and planned
   * time, and count them. An index that already has an item keeps it: only the gaps are written and counted.
   */
  recordSkipped(input: { job: Job; skipped: SkippedRuns; plan: (index: number) => { plannedAt: string; phase: Phase }; now: Date; expiresAt?: number }): Promise<void>;
  /**
   * Begin (or begin again) one action of a fan-out run, on the run's own record: admits an action never
   * begun or left STARTED while the run itself is STARTED; a settled action comes back as it is, so a
   * retried or restarted run never repeats an action that finished. Throws RunAlreadyFinishedError when the
   * run itself is settled (or was never begun).
   */
  beginAction(ref: RunRef, input: { index: number; key: string; type: ActionRun['type']; now: Date }): Promise<{ kind: 'run'; attempts: number } | { kind: 'already-settled'; action: ActionRun }>;
  /**
   * Settle one action of a fan-out run (SUCCEEDED with its result, FAILED with its error). Of two settlers
   * the first wins and both get the winner's record back. Throws RunAlreadyFinishedError when the run is settled.
   */
  settleAction(ref: RunRef, action: ActionRun & { state: 'SUCCEEDED' | 'FAILED' }): Promise<ActionRun>;
  /** Remember that a failed run was delivered to the failure destination. */
  markFailureDelivered(ref: RunRef, now: Date): Promise<void>;
}

/** A run's key as a receiver deduplicates on: `<jobId>:<iteration>` live, `<jobId>:<requestId>:<index>` manual. */
export function runKey(ref: RunRef): string {
  return ref.series.kind === 'live' ? `${ref.jobId}:${ref.index}` : `${ref.jobId}:${ref.series.requestId}:${ref.index}`;
}
