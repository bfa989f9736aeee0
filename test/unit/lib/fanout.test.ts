import fc from 'fast-check';
import { ValidationError } from '../../../src/lib/errors';
import { actionKey, DEFAULT_MAX_CONCURRENCY, fanOutOutcome, fanOutPlan, MAX_FANOUT_ACTIONS, type ActionRun } from '../../../src/lib/fanout';
import { kindOf, parseJob } from '../../../src/lib/job';
import { phaseOf } from '../../../src/lib/schedule';
import { runKeyOf } from '../../../src/lib/steps';

const hook = { type: 'webhook', url: 'https://example.com/hook' } as const;
const base = { id: 'fan', startDateTime: '2030-01-01T00:00:00Z' };
const job = (extra: Record<string, unknown>) => parseJob({ ...base, actions: [hook, hook, hook, hook], ...extra });

const run = (index: number, state: ActionRun['state'], message = 'boom'): ActionRun => ({
  index,
  key: `fan:0:${index}`,
  type: 'webhook',
  state,
  attempts: 1,
  startedAt: '2030-01-01T00:00:00.000Z',
  ...(state === 'FAILED' ? { error: { name: 'PermanentError', message } } : {}),
});
const runs = (states: Array<ActionRun['state']>) => states.map((state, i) => run(i, state));

function refusal(input: Record<string, unknown>): { field: string; message: string } {
  try {
    parseJob(input);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues[0]!;
    throw error;
  }
  throw new Error('accepted');
}

describe('the fan-out outcome rule', () => {
  it('by default needs every action to succeed', () => {
    expect(fanOutOutcome(job({}), runs(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']))).toEqual({ ok: true, result: { actions: 4, succeeded: 4, failed: 0 } });
    const failed = fanOutOutcome(job({}), [run(0, 'SUCCEEDED'), run(1, 'FAILED', 'answered 400'), run(2, 'SUCCEEDED'), run(3, 'SUCCEEDED')]);
    expect(failed).toEqual({ ok: false, result: { actions: 4, succeeded: 3, failed: 1 }, message: '1 of 4 actions failed, at most 0 tolerated (toleratedFailureCount); actions[1] (webhook): answered 400' });
  });

  it('tolerates up to toleratedFailureCount failed actions, and fails past it', () => {
    expect(fanOutOutcome(job({ toleratedFailureCount: 2 }), runs(['FAILED', 'SUCCEEDED', 'FAILED', 'SUCCEEDED'])).ok).toBe(true);
    const over = fanOutOutcome(job({ toleratedFailureCount: 2 }), runs(['FAILED', 'FAILED', 'FAILED', 'SUCCEEDED']));
    expect(over.ok).toBe(false);
    expect(over.ok ? '' : over.message).toMatch(/^3 of 4 actions failed, at most 2 tolerated \(toleratedFailureCount\)/);
  });

  it('tolerates a share up to toleratedFailurePercentage (exceeding it fails, as Map says), with no count limit of its own', () => {
    expect(fanOutOutcome(job({ toleratedFailurePercentage: 50 }), runs(['FAILED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED'])).ok).toBe(true);
    const over = fanOutOutcome(job({ toleratedFailurePercentage: 50 }), runs(['FAILED', 'FAILED', 'FAILED', 'SUCCEEDED']));
    expect(over.ok ? '' : over.message).toMatch(/at most 50% tolerated \(toleratedFailurePercentage\)/);
  });

  it('counts an action with no settled record (never finished) as failed', () => {
    const outcome = fanOutOutcome(job({ toleratedFailureCount: 1 }), [run(0, 'SUCCEEDED'), run(1, 'STARTED')]);
    expect(outcome).toMatchObject({ ok: false, result: { actions: 4, succeeded: 1, failed: 3 } });
    expect(outcome.ok ? '' : outcome.message).toContain('actions[2]: did not finish');
  });

  it('agrees with a direct count for any states and tolerances (both limits apply when both are set)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<ActionRun['state']>('SUCCEEDED', 'FAILED', 'STARTED'), { minLength: 2, maxLength: MAX_FANOUT_ACTIONS }),
        fc.option(fc.nat({ max: MAX_FANOUT_ACTIONS }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
        (states, count, percentage) => {
          const actions = states.map(() => hook);
          const rule = { actions, ...(count === undefined ? {} : { toleratedFailureCount: count }), ...(percentage === undefined ? {} : { toleratedFailurePercentage: percentage }) };
          const failed = states.filter((state) => state !== 'SUCCEEDED').length;
          // The second computation: integer arithmetic instead of a share.
          const countLimit = count ?? (percentage === undefined ? 0 : Infinity);
          const expectOk = failed <= countLimit && (percentage === undefined || failed * 100 <= percentage * states.length);
          const outcome = fanOutOutcome(rule, runs(states));
          expect(outcome.ok).toBe(expectOk);
          expect(outcome.result).toEqual({ actions: states.length, succeeded: states.length - failed, failed });
        },
      ),
    );
  });
});

describe('a fan-out job', () => {
  it('is an action job: every run is an action run, defaults as an action job', () => {
    const parsed = job({ frequency: { hours: 1 }, forever: true });
    expect(kindOf(parsed)).toBe('action');
    expect(phaseOf(parsed, 0, null)).toBe('action');
  });

  it('plans one Map item per action, at the job\'s maxConcurrency (default 10, never above the action count)', () => {
    expect(fanOutPlan(job({ maxConcurrency: 2 }))).toEqual({ maxConcurrency: 2, items: [{ action: 0 }, { action: 1 }, { action: 2 }, { action: 3 }] });
    expect(fanOutPlan(job({})).maxConcurrency).toBe(4);
    expect(fanOutPlan(parseJob({ ...base, actions: Array.from({ length: 12 }, () => hook) })).maxConcurrency).toBe(DEFAULT_MAX_CONCURRENCY);
  });

  it('keys each action `<run key>:<index>`, live and in a request', () => {
    const parsed = job({});
    expect(actionKey('fan:4', 2)).toBe('fan:4:2');
    expect(runKeyOf({ job: parsed, schedule: { iteration: 4 } as never, actionIndex: 2 })).toBe('fan:4:2');
    expect(runKeyOf({ job: parsed, schedule: { iteration: 4 } as never, extra: { kind: 'backfill', requestId: 'r1', index: 0 }, actionIndex: 3 })).toBe('fan:r1:0:3');
  });

  it.each([
    ['actions', 'must hold at least one action', { actions: [] }],
    ['actions', 'at most 40 actions in one run', { actions: Array.from({ length: 41 }, () => hook) }],
    ['actions.3.type', '', { actions: [hook, hook, hook, { type: 'carrier-pigeon' }] }],
    ['actions.1.messageGroupId', 'is for FIFO queues', { actions: [hook, { type: 'sqs', queue: 'arn:aws:sqs:us-east-1:123456789012:q', body: 'x', messageGroupId: 'g' }] }],
    ['actions', 'use either action (one per run) or actions (a fan-out), not both', { actions: [hook], action: hook }],
    ['maxConcurrency', 'must be at least 1', { actions: [hook], maxConcurrency: 0 }],
    ['maxConcurrency', 'must be at most 40', { actions: [hook], maxConcurrency: 41 }],
    ['maxConcurrency', 'is for a fan-out job (one with actions: [...])', { action: hook, maxConcurrency: 2 }],
    ['toleratedFailureCount', 'is for a fan-out job', { action: hook, toleratedFailureCount: 1 }],
    ['toleratedFailureCount', 'must be less than the number of actions (2)', { actions: [hook, hook], toleratedFailureCount: 2 }],
    ['toleratedFailureCount', 'must be a whole number', { actions: [hook], toleratedFailureCount: 1.5 }],
    ['toleratedFailurePercentage', 'must be at most 100', { actions: [hook], toleratedFailurePercentage: 101 }],
    ['config', 'is for report workflows', { actions: [hook], config: { reportType: 'weekly' } }],
  ])('refuses it naming %s: %s', (field, message, extra) => {
    const issue = refusal({ ...base, ...extra });
    expect(issue.field).toBe(field);
    expect(issue.message).toContain(message);
  });
});
