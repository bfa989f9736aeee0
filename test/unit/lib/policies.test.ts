/**
 * policiesOf: the one place a job's defaults are filled in. The README's Jobs table and the schema's
 * comments (src/lib/job.ts) are the reference for each default.
 */
import { parseJob, type JobInput } from '../../../src/lib/job';
import { DEFAULT_CATCH_UP_WINDOW_MINUTES, DEFAULT_POLICIES, policiesOf } from '../../../src/lib/policies';
import { scheduleAt } from '../../../src/lib/schedule';
import { failurePolicy } from '../../../src/lib/attempt';

const action = { type: 'message', text: 'hi' } as const;
const job = (input: Partial<JobInput> = {}) => parseJob({ id: 'p', startDateTime: '2024-12-04T00:00:00Z', frequency: { hours: 1 }, endDateTime: '2024-12-10T00:00:00Z', ...input });

describe('policiesOf', () => {
  it('fills in every default of an action job that sets none', () => {
    expect(policiesOf(job({ action }))).toEqual({
      timeZone: 'UTC',
      onFailure: 'continue',
      retry: null,
      catchUp: 'one',
      catchUpWindowMinutes: 1440,
      overlap: 'skip',
      flexibleWindowMinutes: null,
      retentionDays: null,
    });
  });

  it('aborts a report workflow on a failure by default (its later runs build on the earlier ones)', () => {
    expect(policiesOf(job()).onFailure).toBe('abort');
  });

  it('keeps every policy the job sets', () => {
    const set = job({
      action,
      timeZone: 'Europe/Berlin',
      onFailure: 'abort',
      retry: { maxAttempts: 3 },
      catchUp: 'all',
      catchUpWindowMinutes: 60,
      overlap: 'allow',
      flexibleWindowMinutes: 15,
      retentionDays: 30,
    });

    expect(policiesOf(set)).toEqual({
      timeZone: 'Europe/Berlin',
      onFailure: 'abort',
      // The retry object's missing fields come from the schema's defaults.
      retry: { maxAttempts: 3, intervalSeconds: 0, backoffRate: 2 },
      catchUp: 'all',
      catchUpWindowMinutes: 60,
      overlap: 'allow',
      flexibleWindowMinutes: 15,
      retentionDays: 30,
    });
  });

  it('gives UTC to a job record without a time zone (written before the schema filled one in)', () => {
    expect(policiesOf({}).timeZone).toBe(DEFAULT_POLICIES.timeZone);
  });

  it('is what the runner’s failure policy answers', () => {
    for (const input of [{}, { action }, { onFailure: 'continue' as const }, { action, onFailure: 'abort' as const }]) {
      expect(failurePolicy(job(input))).toBe(policiesOf(job(input)).onFailure);
    }
  });

  it('is what the calculator applies: by default, the latest missed run within a day runs and the rest are skipped', () => {
    // Runs hourly from 00:00; the calculator looks at 10:00:30 with run 0 next: runs 0-9 were missed.
    const now = Date.parse('2024-12-04T10:00:30Z');

    const byDefault = scheduleAt(job({ action }), { iteration: 0 }, now);
    const windowTooShort = scheduleAt(job({ action, catchUpWindowMinutes: 30 }), { iteration: 0 }, now);

    expect(byDefault.iteration).toBe(9);
    expect(byDefault.skipped).toMatchObject({ from: 0, to: 8, reason: 'missed' });
    // Run 9 (09:00) is older than 30 minutes: skipped too, and run 10 (10:00, within the grace) runs.
    expect(windowTooShort.iteration).toBe(10);
    expect(DEFAULT_CATCH_UP_WINDOW_MINUTES).toBe(24 * 60);
  });
});
