import { parseJob } from '../../../src/lib/job';
import { completionNotice, failureNotices, notifyOnOf } from '../../../src/lib/notifications';

const run = (endsJob: boolean) => ({ key: 'j:2', label: 'run 3', attempts: 5, error: { name: 'TransientError', message: 'answered 503' }, endsJob });
const action = { type: 'webhook', url: 'https://example.com/hook' };
const base = { id: 'j', startDateTime: '2026-01-01T00:00:00Z' };

describe('failure notices', () => {
  it('a workflow by default: the failed run and the job FAILED, on its report channel and email', () => {
    const workflow = parseJob({ ...base, endDateTime: '2026-01-07T00:00:00Z', frequency: { days: 1 }, config: { notifyEmail: 'a@example.com' } });

    expect(notifyOnOf(workflow)).toEqual(['failure', 'completion']);
    expect(failureNotices(workflow, run(true))).toEqual([
      { channel: 'reports', email: 'a@example.com', jobId: 'j', idempotencyKey: 'j:2:run-failed', subject: 'Run 3 of job j failed', text: 'Run 3 of job j failed after 5 attempts: TransientError: answered 503' },
      { channel: 'reports', email: 'a@example.com', jobId: 'j', idempotencyKey: 'j:job-failed', subject: 'Job j FAILED', text: 'Job j FAILED: run 3 failed and its failure policy is abort. Reason: TransientError: answered 503' },
    ]);
  });

  it('an action job: nothing without notify; with notify only the job FAILED unless notifyOn asks for each run', () => {
    expect(failureNotices(parseJob({ ...base, action }), run(true))).toEqual([]);
    const notified = parseJob({ ...base, action, notify: { channel: 'ops' } });
    expect(failureNotices(notified, run(false))).toEqual([]);
    expect(failureNotices(notified, run(true)).map((n) => n.subject)).toEqual(['Job j FAILED']);
    const perRun = parseJob({ ...base, action, notify: {}, notifyOn: ['failure'] });
    expect(failureNotices(perRun, run(false)).map((n) => [n.channel, n.subject])).toEqual([['default', 'Run 3 of job j failed']]);
  });

  it('a completion notice only for an action job that asks for it', () => {
    expect(completionNotice(parseJob({ ...base, action, notify: { channel: 'ops' } }), { completedRuns: 1, failedRuns: 0 })).toBeUndefined();
    expect(completionNotice(parseJob({ ...base, action, notify: { channel: 'ops' }, notifyOn: ['completion'] }), { completedRuns: 1, failedRuns: 0 })).toEqual({
      channel: 'ops',
      jobId: 'j',
      idempotencyKey: 'j:job-completed',
      subject: 'Job j COMPLETED',
      text: 'Job j COMPLETED: 1 run succeeded, 0 failed.',
    });
    const workflow = parseJob({ ...base, config: {} });
    expect(completionNotice(workflow, undefined)).toBeUndefined();
  });
});
