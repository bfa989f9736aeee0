import { JOB_OUTCOMES, needsAttention, outcomeOf } from '../../../src/lib/progress';

const counters = (completedRuns: number, failedRuns: number) => ({ completedRuns, failedRuns, totalRuns: completedRuns + failedRuns });

describe('outcomeOf', () => {
  it('never calls a job whose runs all failed a success', () => {
    expect(outcomeOf('COMPLETED', counters(0, 6))).toBe('failed');
    expect(outcomeOf('COMPLETED', counters(5, 1))).toBe('completed_with_failures');
    expect(outcomeOf('COMPLETED', counters(6, 0))).toBe('succeeded');
  });

  it('follows the status for failed, cancelled, paused and going jobs', () => {
    expect(outcomeOf('FAILED', counters(3, 1))).toBe('failed');
    expect(outcomeOf('CANCELLED', counters(3, 0))).toBe('cancelled');
    expect(outcomeOf('PAUSED', counters(0, 2))).toBe('paused');
    for (const status of ['SCHEDULED', 'RUNNING', 'INITIALIZED', 'DAY_3_COMPLETE', 'NOTIFICATION_SENT']) expect(outcomeOf(status, counters(1, 1))).toBe('in_progress');
  });

  it('answers one of the documented outcomes for any status and counters', () => {
    for (const status of ['COMPLETED', 'FAILED', 'CANCELLED', 'PAUSED', 'SCHEDULED']) {
      for (const [done, failed] of [[0, 0], [0, 1], [1, 0], [2, 3]] as const) expect(JOB_OUTCOMES).toContain(outcomeOf(status, counters(done, failed)));
    }
  });
});

describe('needsAttention', () => {
  it('marks failed jobs and jobs with failed runs, nothing else', () => {
    expect(needsAttention('FAILED', counters(0, 0))).toBe(true);
    expect(needsAttention('SCHEDULED', counters(3, 1))).toBe(true);
    expect(needsAttention('COMPLETED', counters(3, 0))).toBe(false);
    expect(needsAttention('CANCELLED', counters(0, 0))).toBe(false);
  });
});
