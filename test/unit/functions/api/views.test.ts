/** The views are pure: stored records in, what the API shows out. */
import { jobDetailView, jobSummaryView, localIso, stepView, upcomingView } from '../../../../src/functions/api/views';
import { parseJob, type Job, type Schedule } from '../../../../src/lib/job';
import type { JobRecord, RunRecord } from '../../../../src/lib/store';

const workflow = parseJob({
  id: 'weekly',
  startDateTime: '2024-12-05T10:00:00Z',
  endDateTime: '2024-12-11T10:00:00Z',
  frequency: { days: 1 },
  config: { reportType: 'weekly', dataSource: 'sample:analytics' },
});
const pinger = parseJob({ id: 'pinger', startDateTime: '2024-12-05T10:00:00Z', frequency: { hours: 1 }, forever: true, timeZone: 'Europe/Berlin', action: { type: 'webhook', url: 'https://example.com/hook' } });
const messenger = parseJob({ id: 'hello', startDateTime: '2024-12-05T10:00:00Z', action: { type: 'message', text: 'hi' } });

function record(job: Job, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId: job.id,
    job,
    status: 'SCHEDULED',
    cursor: 1,
    progress: { completedRuns: 2, failedRuns: 0, totalRuns: 8 },
    nextRunAt: '2024-12-07T10:00:00Z',
    createdAt: '2024-12-04T10:00:00Z',
    updatedAt: '2024-12-06T10:00:01Z',
    executionArns: [],
    metrics: { retries: 0, runDurationMsTotal: 0 },
    ...overrides,
  };
}

function run(iteration: number, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    jobId: 'weekly',
    kind: 'live',
    index: iteration,
    iteration,
    phase: iteration === 0 ? 'collection' : 'processing',
    plannedAt: `2024-12-0${5 + iteration}T10:00:00Z`,
    startedAt: `2024-12-0${5 + iteration}T10:00:01Z`,
    attempts: 1,
    state: 'STARTED',
    ...overrides,
  };
}

describe('stepView', () => {
  it('numbers days from 1 and names the step after its phase', () => {
    const step = stepView(run(0, { state: 'SUCCEEDED', finishedAt: '2024-12-05T10:00:03Z', durationMs: 2000, result: { count: 7543 } }), workflow);

    expect(step).toEqual({
      day: 1,
      iteration: 0,
      phase: 'collection',
      action: 'Data Collection',
      state: 'SUCCEEDED',
      result: { count: 7543 },
      error: null,
      plannedAt: '2024-12-05T10:00:00Z',
      startedAt: '2024-12-05T10:00:01Z',
      finishedAt: '2024-12-05T10:00:03Z',
      durationMs: 2000,
      attempts: 1,
      attemptHistory: [{ attempt: 1, outcome: 'succeeded', startedAt: '2024-12-05T10:00:01Z', endedAt: '2024-12-05T10:00:03Z', error: null, delayMs: null }],
      lastFailure: null,
    });
  });

  it.each<[RunRecord['phase'], string, Job]>([
    ['processing', 'Batch Processing', workflow],
    ['report', 'Report Generation', workflow],
    ['action', 'Webhook', pinger],
    ['action', 'Message', messenger],
  ])('names a %s step %s after the job', (phase, action, job) => {
    expect(stepView(run(1, { phase }), job).action).toBe(action);
  });

  it('shows a running step with nulls for what it does not have yet', () => {
    expect(stepView(run(2), workflow)).toMatchObject({ state: 'STARTED', result: null, error: null, finishedAt: null, durationMs: null });
  });

  it('says which runs a SKIPPED step stands for and why, defaulting to itself and "missed"', () => {
    const range = stepView(run(3, { state: 'SKIPPED', skippedThrough: 5, skipReason: 'overlap' }), pinger);
    const single = stepView(run(3, { state: 'SKIPPED' }), pinger);
    const ran = stepView(run(3, { state: 'FAILED', error: { name: 'TransientError', message: 'timeout' } }), pinger);

    expect(range).toMatchObject({ skippedThrough: 5, skipReason: 'overlap' });
    expect(single).toMatchObject({ skippedThrough: 3, skipReason: 'missed' });
    expect(ran).not.toHaveProperty('skippedThrough');
    expect(ran.error).toEqual({ name: 'TransientError', message: 'timeout' });
  });
});

describe('jobSummaryView', () => {
  it('shows a scheduled job with its next run and default counters', () => {
    const view = jobSummaryView(record(workflow));

    expect(view).toEqual({
      jobId: 'weekly',
      status: 'SCHEDULED',
      job: workflow,
      // A workflow's seed-000 days are derived from its counters: run `cursor` (1) is day 2.
      currentDay: 2,
      progress: { percentage: 25, completedRuns: 2, failedRuns: 0, skippedRuns: 0, totalRuns: 8, completedDays: 2, totalDays: 8 },
      outcome: 'in_progress',
      needsAttention: false,
      lastRun: null,
      nextRunAt: '2024-12-07T10:00:00Z',
      createdAt: '2024-12-04T10:00:00Z',
      updatedAt: '2024-12-06T10:00:01Z',
      finishedAt: null,
    });
  });

  it('shows no next run for a job in a final state, and why it ended', () => {
    const view = jobSummaryView(record(workflow, { status: 'CANCELLED', reason: 'stopped through the API', finishedAt: '2024-12-06T12:00:00Z' }));

    expect(view).toMatchObject({ status: 'CANCELLED', nextRunAt: null, reason: 'stopped through the API', finishedAt: '2024-12-06T12:00:00Z' });
  });

  it('shows when and why a paused job was paused, and only then', () => {
    const paused = jobSummaryView(record(pinger, { status: 'PAUSED', pausedAt: '2024-12-06T11:00:00Z' }));
    const running = jobSummaryView(record(pinger, { pausedAt: '2024-12-06T11:00:00Z' }));

    expect(paused).toMatchObject({ pausedAt: '2024-12-06T11:00:00Z', pauseNote: null, nextRunAt: '2024-12-07T10:00:00Z' });
    expect(running).not.toHaveProperty('pausedAt');
  });
});

describe('jobDetailView', () => {
  it('adds the page of runs as steps, the executions with the generation, and the runs cursor', () => {
    const arns = ['arn:aws:states:us-east-1:123456789012:execution:m:weekly', 'arn:aws:states:us-east-1:123456789012:execution:m:weekly--1'];

    const view = jobDetailView(record(workflow, { executionArns: arns }), { items: [run(0), run(1)], cursor: 'next-page' });

    expect(view.progress.steps.map((step) => step.day)).toEqual([1, 2]);
    expect(view).toMatchObject({ executions: arns, generation: 1, runsCursor: 'next-page', extraRequests: [], extraRuns: [] });
    expect(view).not.toHaveProperty('finalReport');
  });

  it('says generation 0 before any execution and shows the final report once there is one', () => {
    const view = jobDetailView(record(workflow, { finalReport: { totalRecords: 7543 } }), { items: [] });

    expect(view).toMatchObject({ generation: 0, finalReport: { totalRecords: 7543 } });
    expect(view).not.toHaveProperty('runsCursor');
  });
});

describe('upcomingView', () => {
  const now = new Date(Date.parse('2024-12-06T10:00:00Z'));
  const schedule = (iteration: number, runAt: string | null, plannedAt?: string): Schedule => ({
    iteration,
    runAt,
    phase: 'action',
    isLast: false,
    done: runAt === null,
    totalRuns: null,
    ...(plannedAt === undefined ? {} : { plannedAt }),
  });

  it('lists the next runs with their local time, marking as missed only those past the grace minute', () => {
    const runs = [
      schedule(24, '2024-12-06T09:58:59Z'), // 61 s ago
      schedule(25, '2024-12-06T09:59:01Z'), // 59 s ago: within the grace
      schedule(26, '2024-12-06T11:10:00Z', '2024-12-06T11:00:00Z'),
      schedule(27, null),
    ];

    const view = upcomingView(record(pinger, { progress: { completedRuns: 24, failedRuns: 0, totalRuns: null } }), runs, now);

    expect(view.runs).toEqual([
      { iteration: 24, plannedAt: '2024-12-06T09:58:59Z', runAt: '2024-12-06T09:58:59Z', localTime: '2024-12-06T10:58:59+01:00', phase: 'action', missed: true },
      { iteration: 25, plannedAt: '2024-12-06T09:59:01Z', runAt: '2024-12-06T09:59:01Z', localTime: '2024-12-06T10:59:01+01:00', phase: 'action', missed: false },
      { iteration: 26, plannedAt: '2024-12-06T11:00:00Z', runAt: '2024-12-06T11:10:00Z', localTime: '2024-12-06T12:10:00+01:00', phase: 'action', missed: false },
    ]);
    expect(view).toMatchObject({ jobId: 'pinger', timeZone: 'Europe/Berlin', remainingRuns: null, paused: null });
  });

  it('counts the runs left, none for a job that ended, and never fewer than none', () => {
    const progress = { percentage: 50, completedRuns: 3, failedRuns: 1, skippedRuns: 1, totalRuns: 8 };

    expect(upcomingView(record(workflow, { progress }), [], now).remainingRuns).toBe(3);
    expect(upcomingView(record(workflow, { progress, status: 'CANCELLED' }), [], now).remainingRuns).toBe(0);
    expect(upcomingView(record(workflow, { progress: { ...progress, completedRuns: 9 } }), [], now).remainingRuns).toBe(0);
  });

  it('fills in the scheduling defaults the job runs under', () => {
    const view = upcomingView(record(pinger, { status: 'PAUSED', pausedAt: '2024-12-06T09:00:00Z', pauseNote: 'maintenance' }), [], now);

    expect(view.paused).toEqual({ pausedAt: '2024-12-06T09:00:00Z', note: 'maintenance' });
    expect(view.settings).toMatchObject({ catchUp: 'one', catchUpWindowMinutes: 1440, overlap: 'skip', forever: true, endDateTime: null, tags: [] });
  });
});

describe('localIso', () => {
  it.each([
    ['2024-12-04T10:00:00Z', 'UTC', '2024-12-04T10:00:00Z'],
    ['2024-12-04T10:00:00Z', 'Europe/Berlin', '2024-12-04T11:00:00+01:00'],
    ['2024-07-04T10:00:00Z', 'Europe/Berlin', '2024-07-04T12:00:00+02:00'],
    // The last second before New York springs forward, and the first after: the offset changes with the instant.
    ['2024-03-10T06:59:59Z', 'America/New_York', '2024-03-10T01:59:59-05:00'],
    ['2024-03-10T07:00:00Z', 'America/New_York', '2024-03-10T03:00:00-04:00'],
    ['2024-12-04T10:00:00Z', 'Asia/Kolkata', '2024-12-04T15:30:00+05:30'],
  ])('shows %s in %s as %s', (instant, zone, expected) => {
    expect(localIso(instant, zone)).toBe(expected);
  });
});
