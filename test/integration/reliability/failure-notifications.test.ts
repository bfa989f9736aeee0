/**
 * Failure notifications on the real ASL and dynalite: a failing webhook job with `notify` and
 * `notifyOn: ["failure"]` sends one notice per failed run (with its reason) and one when the job ends
 * FAILED — and none again when RecordFailure is retried after they were sent, since they ride the same
 * once-marker (`failureDeliveredAt`) as the failure destination.
 */
import { TransientError } from '../../../src/lib/errors';
import type { RunLedger, RunRef } from '../../../src/lib/ledger';
import type { Notification, Notifier } from '../../../src/lib/steps';
import { hooksClosedAfterEach, hourlyHook, loopbackTask, retried, runOnEngine, useDynamoStores } from './support';

const dynamo = useDynamoStores();
const hooks = hooksClosedAfterEach();

/** Who hears of a failure: the jobs below notify ops of failures only. */
const NOTIFY = { notify: { channel: 'ops', email: 'ops@example.com' }, notifyOn: ['failure'] };

function recordingNotifier(): Notifier & { sent: Notification[] } {
  const sent: Notification[] = [];
  return { sent, publish: async (notification) => (sent.push(notification), { messageId: `m-${sent.length}` }) };
}

/** A ledger whose first marking is recorded and then answers with an error: the answer lost on the way back. */
function losingFirstMarkAnswer(runs: RunLedger): RunLedger & { marks: number } {
  const ledger = Object.assign(Object.create(runs) as RunLedger, {
    marks: 0,
    async markFailureDelivered(ref: RunRef, now: Date) {
      await runs.markFailureDelivered(ref, now);
      if (ledger.marks++ === 0) throw new TransientError('DynamoDB UpdateItem failed, try again (injected after the write)');
    },
  });
  return ledger;
}

const taskOver = (runs: RunLedger, notifier: Notifier) => loopbackTask(dynamo.stores, { runs, notifier });

describe('failure notifications', () => {
  it('under continue: one notice per failed run, none repeated though RecordFailure is retried after sending them', async () => {
    // Runs 0 and 2 are refused (400: permanent), 1 and 3 pass.
    const hook = await hooks.start((request) => (/:(0|2)$/.test(request.idempotencyKey ?? '') ? 400 : 200));
    const notifier = recordingNotifier();
    const runs = losingFirstMarkAnswer(dynamo.stores.runs);

    const { events, result } = await runOnEngine({ job: hourlyHook('notify-continue', hook.url, NOTIFY) }, 'notify-continue', taskOver(runs, notifier));

    expect(result).toMatchObject({ ok: true, output: { status: 'COMPLETED' } });
    expect(retried(events, 'RecordFailure')).toHaveLength(1);
    expect(notifier.sent.map((n) => [n.subject, n.idempotencyKey])).toEqual([
      ['Run 1 of job notify-continue failed', 'notify-continue:0:run-failed'],
      ['Run 3 of job notify-continue failed', 'notify-continue:2:run-failed'],
    ]);
    expect(notifier.sent[0]).toMatchObject({ channel: 'ops', email: 'ops@example.com', jobId: 'notify-continue' });
    expect(notifier.sent[0]?.text).toMatch(/failed after 1 attempt: PermanentError: webhook POST .* answered 400/);
  });

  it('under abort: a notice for the failed run and one for the job FAILED, with the reason', async () => {
    const hook = await hooks.start(() => 400);
    const notifier = recordingNotifier();
    const runs = losingFirstMarkAnswer(dynamo.stores.runs);

    const { events, result } = await runOnEngine({ job: hourlyHook('notify-abort', hook.url, { ...NOTIFY, onFailure: 'abort' }) }, 'notify-abort', taskOver(runs, notifier));

    expect(result.ok).toBe(false);
    expect(retried(events, 'RecordFailure')).toHaveLength(1);
    expect(notifier.sent.map((n) => n.subject)).toEqual(['Run 1 of job notify-abort failed', 'Job notify-abort FAILED']);
    expect(notifier.sent[1]?.text).toMatch(/^Job notify-abort FAILED: run 1 failed and its failure policy is abort\. Reason: PermanentError: webhook POST .* answered 400/);
    expect(await dynamo.stores.jobs.getJob('notify-abort')).toMatchObject({ status: 'FAILED' });
  });
});
