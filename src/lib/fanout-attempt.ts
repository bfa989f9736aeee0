/**
 * A fan-out run (src/lib/fanout.ts) through the one attempt of src/lib/attempt.ts, split in the three task
 * operations the ASL calls around its Map:
 *
 * - `fanOut` (FanOut): begin the run exactly as a single-action run is begun (beginRun) and plan the Map;
 * - `action` / `actionFail` (RunActions → RunAction, RecordActionFailure): each action begun and settled on
 *   the run's own record, so a retried or restarted run never repeats an action that finished;
 * - `settleFanOut` (SettleFanOut): the outcome rule over the records, then the run settles SUCCEEDED as any
 *   run does, or throws for RecordFailure to settle it FAILED (recordFailure in attempt.ts).
 *
 * One run in the ledger, one parent count, one failure path: only the step in the middle differs.
 */
import { performance } from 'node:perf_hooks';
import { PermanentError, RunAlreadyFinishedError } from './errors';
import { actionKey, fanOutOutcome, fanOutPlan, type ActionRun, type ActionState, type FanOutPlan } from './fanout';
import { advance, beginRun, describeCaughtError, pastRetryLimit, refOf, replayed, retryDelayMs, settleSucceeded, stepContext, type AttemptDeps, type FailureInput, type NextCursor, type RunInput } from './attempt';
import { runKey, type RunRef } from './ledger';
import type { Job } from './job';

/** What one iteration of the Map outputs (kept small: it stays in the execution's state). */
export interface ActionOutcome {
  action: number;
  key: string;
  /** RUN_SETTLED: the run itself was settled meanwhile (another invocation); SettleFanOut replays it. */
  state: ActionState | 'RUN_SETTLED';
}

export interface ActionInput extends RunInput {
  /** Index into `job.actions`. */
  action: number;
}

/**
 * FanOut: begin the run and plan its Map. A run already settled (a re-delivered invocation, a restart after
 * it settled) plans no items: SettleFanOut then replays it from its record.
 * @example await beginFanOut(deps, { job, schedule, cursor: { iteration: 0 } }) // { maxConcurrency: 10, items: [{ action: 0 }, { action: 1 }] }
 */
export async function beginFanOut(deps: AttemptDeps, input: RunInput): Promise<FanOutPlan> {
  const { begun } = await beginRun(deps, input);
  if (begun.kind === 'already-settled') return { maxConcurrency: 1, items: [] };
  return fanOutPlan(input.job);
}

function actionOf(job: Job, index: number) {
  const action = job.actions?.[index];
  if (!action) throw new PermanentError(`job ${job.id} has no actions[${index}]`);
  return action;
}

const outcomeOf = (run: Pick<ActionRun, 'index' | 'key' | 'state'>): ActionOutcome => ({ action: run.index, key: run.key, state: run.state });

/**
 * RunAction: one action of the run, exactly once as far as the run's record can tell. A settled action is
 * replayed; otherwise the action step runs with the key `<run key>:<index>` and its result is settled on
 * the run. A failure is thrown for the ASL's Retry (TransientError) or Catch (RecordActionFailure).
 */
export async function attemptAction(deps: AttemptDeps, input: ActionInput): Promise<ActionOutcome> {
  const { job, schedule, cursor } = input;
  const ref = refOf(job, cursor, schedule);
  const action = actionOf(job, input.action);
  const key = actionKey(runKey(ref), input.action);
  const startedAt = deps.now();
  let begun;
  try {
    begun = await deps.runs.beginAction(ref, { index: input.action, key, type: action.type, now: startedAt });
  } catch (error) {
    if (error instanceof RunAlreadyFinishedError) return { action: input.action, key, state: 'RUN_SETTLED' };
    throw error;
  }
  if (begun.kind === 'already-settled') return outcomeOf(begun.action);

  const delay = retryDelayMs(job, begun.attempts);
  if (delay > 0 && deps.sleep) await deps.sleep(delay);
  const stepStarted = performance.now();
  let outcome;
  try {
    outcome = await deps.steps.action({ ...stepContext(deps, input, ref, begun.attempts, cursor.lastResult), actionIndex: input.action });
  } catch (error) {
    throw pastRetryLimit(job, begun.attempts, error);
  }
  // Real elapsed time, whatever the clock: the run's duration is the sum of its actions'.
  const durationMs = Math.round(performance.now() - stepStarted);
  return settleAction(deps, ref, { index: input.action, key, type: action.type, state: 'SUCCEEDED', attempts: begun.attempts, startedAt: startedAt.toISOString(), finishedAt: deps.now().toISOString(), durationMs, result: outcome.result });
}

/** RecordActionFailure: the action FAILED on the run's record, with the error the Catch caught. */
export async function recordActionFailure(deps: AttemptDeps, input: ActionInput & Pick<FailureInput, 'error'>): Promise<ActionOutcome> {
  const { job, schedule, cursor } = input;
  const ref = refOf(job, cursor, schedule);
  const action = actionOf(job, input.action);
  const key = actionKey(runKey(ref), input.action);
  const now = deps.now().toISOString();
  return settleAction(deps, ref, { index: input.action, key, type: action.type, state: 'FAILED', attempts: 0, startedAt: now, finishedAt: now, error: describeCaughtError(input.error) });
}

async function settleAction(deps: AttemptDeps, ref: RunRef, action: ActionRun & { state: 'SUCCEEDED' | 'FAILED' }): Promise<ActionOutcome> {
  try {
    return outcomeOf(await deps.runs.settleAction(ref, action));
  } catch (error) {
    if (error instanceof RunAlreadyFinishedError) return { action: action.index, key: action.key, state: 'RUN_SETTLED' };
    throw error;
  }
}

/**
 * SettleFanOut: the run's outcome from its actions' records (fanOutOutcome). Within the rule the run
 * settles SUCCEEDED with `{ actions, succeeded, failed }` as its result (each action's own result is on the
 * run's `actions`); past it a PermanentError is thrown, which the ASL's Catch sends to RecordFailure, the
 * same path as a failed single-action run. A run already settled is replayed from its record.
 */
export async function settleFanOut(deps: AttemptDeps, input: RunInput): Promise<NextCursor> {
  const { job, schedule, cursor } = input;
  const ref = refOf(job, cursor, schedule);
  const run = await deps.runs.get(ref);
  if (!run) throw new PermanentError(`run ${ref.index} of job ${job.id} was never begun, so it cannot settle`);
  if (run.state !== 'STARTED') return advance(input, replayed(run, job), new Date(run.finishedAt ?? run.startedAt), run.startedAt);
  const actions = run.actions ?? [];
  const outcome = fanOutOutcome(job, actions);
  if (!outcome.ok) throw new PermanentError(outcome.message);
  const durationMs = actions.reduce((sum, action) => sum + (action.durationMs ?? 0), 0);
  return settleSucceeded(deps, input, ref, { result: outcome.result, durationMs, plannedAt: run.plannedAt, startedAt: run.startedAt, lastResult: outcome.result });
}
