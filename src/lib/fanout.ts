/**
 * Fan-out inside a run: a job's `actions` run in parallel within ONE run, through the Map state of the one
 * ASL (RunActions). The run stays one run of the ledger (src/lib/ledger.ts): it is begun once, each action
 * is begun and settled on the run's own item under its own key, and the run settles SUCCEEDED or FAILED by
 * the outcome rule below — a failed fan-out goes through RecordFailure like any failed run.
 *
 * The rule is Map's own (ToleratedFailureCount / ToleratedFailurePercentage), computed here rather than by
 * the Map: those two fields are Distributed Map only on AWS and unknown to the local engine, and an inline
 * Map stops at its first uncaught failure. So every action's failure is caught inside the Map and recorded,
 * and the rule reads the records: both engines behave the same.
 */
import type { JsonValue } from './json';
import type { Action, Job } from './job';

/** At most this many actions in one run: an inline Map runs up to 40 iterations at once. */
export const MAX_FANOUT_ACTIONS = 40;
/** How many actions run at once when the job does not say (`maxConcurrency`). */
export const DEFAULT_MAX_CONCURRENCY = 10;

export type ActionState = 'STARTED' | 'SUCCEEDED' | 'FAILED';

/** One action of a fan-out run, as the run's item keeps it. */
export interface ActionRun {
  /** Position in `job.actions`. */
  index: number;
  /** `<run key>:<index>`: the Idempotency-Key this action's receiver sees. */
  key: string;
  type: Action['type'];
  state: ActionState;
  /** How many times a task invocation began this action (1 when it passed first time). */
  attempts: number;
  startedAt: string;
  finishedAt?: string;
  /** Real elapsed milliseconds of the action's step; the run's duration is their sum. */
  durationMs?: number;
  result?: JsonValue;
  error?: { name: string; message: string };
}

/**
 * An action's key: the run's key and the action's index.
 * @example actionKey('nightly:4', 2) // 'nightly:4:2'
 */
export function actionKey(runKey: string, index: number): string {
  return `${runKey}:${index}`;
}

/** An action job runs `action` or (a fan-out) `actions` on each run; any other job is a report workflow. */
export function isActionJob(job: Pick<Job, 'action' | 'actions'>): boolean {
  return job.action !== undefined || job.actions !== undefined;
}

/** What FanOut hands the Map: one item per action, and how many run at once. */
export interface FanOutPlan {
  maxConcurrency: number;
  items: Array<{ action: number }>;
}

/** The Map's items and concurrency for a run of a fan-out job (FanOut's answer). */
export function fanOutPlan(job: Job): FanOutPlan {
  const actions = job.actions ?? [];
  return { maxConcurrency: Math.min(actions.length || 1, job.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY), items: actions.map((_, action) => ({ action })) };
}

export type FanOutOutcome =
  | { ok: true; result: { actions: number; succeeded: number; failed: number } }
  | { ok: false; message: string; result: { actions: number; succeeded: number; failed: number } };

/**
 * The run's outcome from its actions' records, by Map's rule: it fails when more actions failed than
 * `toleratedFailureCount` (default 0: all must succeed) or when their share exceeds
 * `toleratedFailurePercentage`; an action with no settled record (it never ran to the end) counts as failed.
 * @example fanOutOutcome({ actions: [a, b, c], toleratedFailureCount: 1 }, [ok, failed, ok]) // { ok: true, … }
 */
export function fanOutOutcome(job: { actions?: readonly unknown[] } & Pick<Job, 'toleratedFailureCount' | 'toleratedFailurePercentage'>, runs: readonly ActionRun[]): FanOutOutcome {
  const total = job.actions?.length ?? 0;
  const byIndex = new Map(runs.map((run) => [run.index, run]));
  const failedRuns: Array<{ index: number; run?: ActionRun }> = [];
  for (let index = 0; index < total; index++) {
    const run = byIndex.get(index);
    if (run?.state !== 'SUCCEEDED') failedRuns.push({ index, ...(run ? { run } : {}) });
  }
  const failed = failedRuns.length;
  const result = { actions: total, succeeded: total - failed, failed };
  const count = job.toleratedFailureCount ?? (job.toleratedFailurePercentage === undefined ? 0 : undefined);
  const overCount = count !== undefined && failed > count;
  const overShare = job.toleratedFailurePercentage !== undefined && total > 0 && (failed / total) * 100 > job.toleratedFailurePercentage;
  if (!overCount && !overShare) return { ok: true, result };
  const tolerance = overCount ? `at most ${count} tolerated (toleratedFailureCount)` : `at most ${job.toleratedFailurePercentage}% tolerated (toleratedFailurePercentage)`;
  const first = failedRuns.slice(0, 3).map(({ index, run }) => `actions[${index}]${run ? ` (${run.type})` : ''}: ${run?.error?.message ?? 'did not finish'}`);
  return { ok: false, result, message: `${failed} of ${total} actions failed, ${tolerance}; ${first.join('; ')}${failed > first.length ? '; …' : ''}` };
}
