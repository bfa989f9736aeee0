/**
 * An in-memory RunLedger with the rules src/lib/ledger.ts documents, over the in-memory job and request
 * stores of fakes.ts, for unit tests of the attempt (src/lib/attempt.ts) without DynamoDB: a settled run is
 * never begun again, of two settlers one wins, a parent counts each index once (its cursor), a stopped or
 * paused parent is counted but keeps its status. The DynamoDB implementation is tested on dynalite against
 * the same rules (test/integration/adapters).
 */
import { JobNotActiveError, PermanentError, RunAlreadyFinishedError } from '../../src/lib/errors';
import { RequestNotActiveError } from '../../src/lib/extra-runs';
import type { ActionRun } from '../../src/lib/fanout';
import type { Job, Phase, SkippedRuns } from '../../src/lib/job';
import type { BeginInput, BeginOutcome, ParentChange, RunLedger, RunRecord, RunRef, SeriesFilter, SettleInput } from '../../src/lib/ledger';
import { isFinalStatus, PAUSED } from '../../src/lib/status';
import type { Page } from '../../src/lib/store';
import type { MemoryExtraRunStore, MemoryJobStore } from './fakes';

type Stored = RunRecord & { settlement?: ParentChange };

const keyOf = (ref: RunRef) => `${ref.jobId}|${ref.series.kind === 'live' ? 'live' : ref.series.requestId}|${ref.index}`;

export class MemoryRunLedger implements RunLedger {
  readonly items = new Map<string, Stored>();
  /** Calls in order, for tests that check what was written. */
  readonly log: string[] = [];

  constructor(
    private readonly jobs: MemoryJobStore,
    private readonly requests: MemoryExtraRunStore,
  ) {}

  async begin(input: BeginInput): Promise<BeginOutcome> {
    this.touchParent(input);
    const stored = this.items.get(keyOf(input));
    if (stored && stored.state !== 'STARTED') {
      this.count(stored, input.now);
      return { kind: 'already-settled', run: { ...stored } };
    }
    const attempts = (stored?.attempts ?? 0) + 1;
    const run: Stored = {
      jobId: input.jobId,
      kind: input.series.kind,
      ...(input.series.kind === 'live' ? {} : { requestId: input.series.requestId }),
      index: input.index,
      iteration: input.iteration,
      phase: input.phase,
      plannedAt: input.plannedAt,
      startedAt: input.now.toISOString(),
      attempts,
      state: 'STARTED',
      // A fan-out run keeps its actions' records across attempts.
      ...(stored?.actions ? { actions: stored.actions } : input.job.actions ? { actions: [] } : {}),
    };
    this.items.set(keyOf(input), run);
    this.log.push(`begin ${keyOf(input)} attempt ${attempts}`);
    return { kind: 'run', attempts };
  }

  async settle(input: SettleInput): Promise<RunRecord> {
    const stored = this.items.get(keyOf(input));
    if (input.outcome.state === 'SUCCEEDED' && stored === undefined) throw new PermanentError(`run ${input.index} was never begun, so it cannot finish`);
    if (stored && stored.state !== 'STARTED') {
      this.count(stored, input.now);
      throw new RunAlreadyFinishedError(input.jobId, input.index);
    }
    const base: Stored = stored ?? { jobId: input.jobId, kind: input.series.kind, ...(input.series.kind === 'live' ? {} : { requestId: input.series.requestId }), index: input.index, iteration: input.iteration, phase: input.phase, plannedAt: input.plannedAt, startedAt: input.now.toISOString(), attempts: 0, state: 'STARTED' };
    const { outcome } = input;
    const settled: Stored = {
      ...base,
      state: outcome.state,
      finishedAt: input.now.toISOString(),
      settlement: input.change,
      ...(outcome.state === 'SUCCEEDED' ? { result: outcome.result, durationMs: Math.round(outcome.durationMs) } : { error: outcome.error }),
      ...(input.series.kind === 'live' && input.change.status !== undefined ? { statusAfter: input.change.status } : {}),
    };
    this.items.set(keyOf(input), settled);
    this.log.push(`settle ${keyOf(input)} ${outcome.state}`);
    this.count(settled, input.now);
    return { ...settled };
  }

  async get(ref: RunRef): Promise<RunRecord | undefined> {
    const stored = this.items.get(keyOf(ref));
    return stored && { ...stored };
  }

  async list(jobId: string, series: SeriesFilter, query: { limit: number }): Promise<Page<RunRecord>> {
    const runs = [...this.items.values()].filter((run) => run.jobId === jobId && (series === 'live') === (run.kind === 'live'));
    runs.sort((a, b) => (series === 'live' ? a.index - b.index : (b.requestId ?? '').localeCompare(a.requestId ?? '') || b.index - a.index));
    return { items: runs.slice(0, query.limit).map((run) => ({ ...run })) };
  }

  async recordSkipped(input: { job: Job; skipped: SkippedRuns; plan: (index: number) => { plannedAt: string; phase: Phase }; now: Date }): Promise<void> {
    const { job, skipped } = input;
    const record = this.jobs.jobs.get(job.id);
    if (!record || record.cursor >= skipped.to) return;
    let count = 0;
    for (let index = Math.max(skipped.from, record.cursor + 1); index <= skipped.to; index++) {
      const key = keyOf({ jobId: job.id, series: { kind: 'live' }, index });
      if (this.items.has(key)) continue;
      const { plannedAt, phase } = input.plan(index);
      this.items.set(key, { jobId: job.id, kind: 'live', index, iteration: index, phase, plannedAt, startedAt: input.now.toISOString(), attempts: 0, state: 'SKIPPED', skippedThrough: index, skipReason: skipped.reason });
      count += 1;
    }
    this.log.push(`skip ${job.id} ${skipped.from}..${skipped.to}`);
    record.cursor = skipped.to;
    record.progress.skippedRuns = (record.progress.skippedRuns ?? 0) + count;
  }

  async beginAction(ref: RunRef, input: { index: number; key: string; type: ActionRun['type']; now: Date }): Promise<{ kind: 'run'; attempts: number } | { kind: 'already-settled'; action: ActionRun }> {
    const run = this.items.get(keyOf(ref));
    if (!run || run.state !== 'STARTED') throw new RunAlreadyFinishedError(ref.jobId, ref.index);
    const actions = (run.actions ??= []);
    const before = actions.find((action) => action.index === input.index);
    if (before && before.state !== 'STARTED') return { kind: 'already-settled', action: { ...before } };
    const record: ActionRun = { index: input.index, key: input.key, type: input.type, state: 'STARTED', attempts: (before?.attempts ?? 0) + 1, startedAt: input.now.toISOString() };
    run.actions = [...actions.filter((action) => action.index !== input.index), record].sort((a, b) => a.index - b.index);
    this.log.push(`beginAction ${keyOf(ref)} ${input.index} attempt ${record.attempts}`);
    return { kind: 'run', attempts: record.attempts };
  }

  async settleAction(ref: RunRef, action: ActionRun & { state: 'SUCCEEDED' | 'FAILED' }): Promise<ActionRun> {
    const run = this.items.get(keyOf(ref));
    if (!run || run.state !== 'STARTED') throw new RunAlreadyFinishedError(ref.jobId, ref.index);
    const actions = run.actions ?? [];
    const before = actions.find((entry) => entry.index === action.index);
    if (before && before.state !== 'STARTED') return { ...before };
    const settled: ActionRun = { ...action, attempts: Math.max(action.attempts, before?.attempts ?? 0), startedAt: before?.startedAt ?? action.startedAt };
    run.actions = [...actions.filter((entry) => entry.index !== action.index), settled].sort((a, b) => a.index - b.index);
    this.log.push(`settleAction ${keyOf(ref)} ${action.index} ${action.state}`);
    return { ...settled };
  }

  async markFailureDelivered(ref: RunRef, now: Date): Promise<void> {
    const stored = this.items.get(keyOf(ref));
    if (stored && stored.failureDeliveredAt === undefined) stored.failureDeliveredAt = now.toISOString();
  }

  private touchParent(input: BeginInput): void {
    if (input.series.kind === 'live') {
      const record = this.jobs.jobs.get(input.jobId);
      if (!record) throw new Error(`job ${input.jobId} is not stored in the fake (store it first)`);
      if (isFinalStatus(record.status) || record.status === PAUSED) throw new JobNotActiveError(input.jobId, record.status);
      return;
    }
    const request = this.requests.requests.get(`${input.jobId}|${input.series.requestId}`);
    if (!request || request.state !== 'RUNNING') throw new RequestNotActiveError(input.jobId, input.series.requestId, request?.state ?? 'gone');
  }

  /** Count a settled run on its parent once (its cursor); a stopped or paused parent keeps its status. */
  private count(run: Stored, now: Date): void {
    const change = run.settlement;
    if (!change) return;
    const field = change.outcome === 'SUCCEEDED' ? 'completedRuns' : 'failedRuns';
    if (run.kind === 'live') {
      const record = this.jobs.jobs.get(run.jobId);
      if (!record || record.cursor >= run.index) return;
      record.cursor = run.index;
      record.progress[field] += 1;
      record.metrics.runDurationMsTotal += Math.round(change.durationMs ?? 0);
      if (change.nextRunAt !== undefined) record.nextRunAt = change.nextRunAt;
      if (change.finalReport !== undefined) record.finalReport = change.finalReport;
      const stopped = isFinalStatus(record.status) || record.status === PAUSED;
      if (change.status !== undefined && !stopped) record.status = change.status;
      if (change.reason !== undefined && !stopped) Object.assign(record, { reason: change.reason, finishedAt: now.toISOString() });
      return;
    }
    const request = this.requests.requests.get(`${run.jobId}|${run.requestId}`);
    if (!request || request.cursor >= run.index) return;
    request.cursor = run.index;
    request[field] += 1;
    if (change.status !== undefined && request.state === 'RUNNING') Object.assign(request, { state: change.status, reason: change.reason, finishedAt: now.toISOString() });
  }
}
