import { parseJob } from '../../../src/lib/job';
import { isKnownStatus, statusAfterRun, statusHistory } from '../../../src/lib/status';

const workflow = parseJob({
  id: 'weekly',
  startDateTime: '2024-12-04T10:00:00Z',
  endDateTime: '2024-12-10T10:00:00Z',
  frequency: { days: 1 },
  config: { reportType: 'weekly' },
});
const day = (n: number) => `2024-12-${String(4 + n).padStart(2, '0')}T10:00:01.000Z`;

describe('job statuses', () => {
  it('derives seed 000’s full sequence for a completed 7-day workflow', () => {
    const runs = [0, 1, 2, 3, 4, 5, 6].map((i) => ({
      iteration: i,
      phase: i === 0 ? ('collection' as const) : i === 6 ? ('report' as const) : ('processing' as const),
      state: 'SUCCEEDED',
      finishedAt: day(i),
      result: i === 6 ? { reportGeneratedAt: '2024-12-10T10:00:00.500Z', notificationSentAt: '2024-12-10T10:00:00.900Z' } : {},
    }));

    const history = statusHistory({ status: 'COMPLETED', createdAt: '2024-12-04T09:00:00Z', finishedAt: '2024-12-10T10:00:02Z', job: workflow }, runs);

    expect(history.map((c) => c.status)).toEqual([
      'INITIALIZED',
      'DAY_1_COMPLETE', 'DAY_2_COMPLETE', 'DAY_3_COMPLETE', 'DAY_4_COMPLETE', 'DAY_5_COMPLETE', 'DAY_6_COMPLETE',
      'REPORT_GENERATED', 'NOTIFICATION_SENT', 'COMPLETED',
    ]);
    expect(history.find((c) => c.status === 'REPORT_GENERATED')?.at).toBe('2024-12-10T10:00:00.500Z');
    expect(history.at(-1)?.at).toBe('2024-12-10T10:00:02Z');
  });

  it('leaves failed and unfinished runs out of the sequence and ends a failed job with FAILED', () => {
    const runs = [
      { iteration: 0, phase: 'collection' as const, state: 'SUCCEEDED', finishedAt: day(0) },
      { iteration: 1, phase: 'processing' as const, state: 'FAILED', finishedAt: day(1) },
    ];

    const history = statusHistory({ status: 'FAILED', createdAt: day(0), finishedAt: day(1), job: workflow }, runs);

    expect(history.map((c) => c.status)).toEqual(['INITIALIZED', 'DAY_1_COMPLETE', 'FAILED']);
  });

  it('shows an action job as SCHEDULED then its final status', () => {
    const hook = parseJob({ id: 'hook', startDateTime: '2024-12-04T10:00:00Z', action: { type: 'message', text: 'hi' } });

    const history = statusHistory({ status: 'COMPLETED', createdAt: day(0), finishedAt: day(1), job: hook }, [
      { iteration: 0, phase: 'action', state: 'SUCCEEDED', finishedAt: day(1) },
    ]);

    expect(history.map((c) => c.status)).toEqual(['SCHEDULED', 'COMPLETED']);
  });

  it('knows every documented status, with any day number, and no others', () => {
    expect(['INITIALIZED', 'DAY_12_COMPLETE', 'REPORT_GENERATED', 'NOTIFICATION_SENT', 'SCHEDULED', 'RUNNING', 'CANCELLED'].every(isKnownStatus)).toBe(true);
    expect(['DAY_0_COMPLETE', 'DAY_X_COMPLETE', 'DONE', ''].some(isKnownStatus)).toBe(false);
  });

  it('moves a workflow to DAY_N_COMPLETE after run N and an action job back to SCHEDULED', () => {
    expect(statusAfterRun('collection', 0)).toBe('DAY_1_COMPLETE');
    expect(statusAfterRun('processing', 4)).toBe('DAY_5_COMPLETE');
    expect(statusAfterRun('report', 6)).toBe('NOTIFICATION_SENT');
    expect(statusAfterRun('action', 3)).toBe('SCHEDULED');
  });
});

describe('pauses in the status history', () => {
  it('places each pause and resume among the runs by time, a resume going back to the status before its pause', () => {
    const runs = [
      { iteration: 0, phase: 'collection' as const, state: 'SUCCEEDED', finishedAt: day(0) },
      { iteration: 1, phase: 'processing' as const, state: 'SUCCEEDED', finishedAt: day(2) },
    ];
    const pauseLog = [
      { event: 'paused' as const, at: '2024-12-05T00:00:00Z', note: 'freeze' },
      { event: 'resumed' as const, at: '2024-12-05T12:00:00Z' },
    ];

    const history = statusHistory({ status: 'DAY_2_COMPLETE', createdAt: '2024-12-04T09:00:00Z', job: workflow, pauseLog }, runs);

    expect(history).toEqual([
      { status: 'INITIALIZED', at: '2024-12-04T09:00:00Z' },
      { status: 'DAY_1_COMPLETE', at: day(0) },
      { status: 'PAUSED', at: '2024-12-05T00:00:00Z', event: 'paused', note: 'freeze' },
      { status: 'DAY_1_COMPLETE', at: '2024-12-05T12:00:00Z', event: 'resumed' },
      { status: 'DAY_2_COMPLETE', at: day(2) },
    ]);
  });
});
