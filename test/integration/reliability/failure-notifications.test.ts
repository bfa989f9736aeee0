/**
 * Failure notifications on the real ASL and dynalite: a failing webhook job with `notify` and
 * `notifyOn: ["failure"]` sends one notice per failed run (with its reason) and one when the job ends
 * FAILED — and none again when RecordFailure is retried after they were sent, since they ride the same
 * once-marker (`failureDeliveredAt`) as the failure destination.
 */
import { createDocumentClient, createDynamoStores, type Stores } from '../../../src/adapters/dynamodb';
import { NetGuard } from '../../../src/adapters/guarded-http';
import { createTaskHandler } from '../../../src/functions/task/handler';
import { TransientError } from '../../../src/lib/errors';
import type { RunLedger, RunRef } from '../../../src/lib/ledger';
import { parseAllowList } from '../../../src/lib/net-guard';
import type { Notification, Notifier } from '../../../src/lib/steps';
import { createSteps } from '../../../src/steps/registry';
import { startDynalite, type LocalDynamo } from '../../support/dynalite';
import { retried, runOnEngine, startHook, type HookServer } from './support';

const HOUR = 3_600_000;
const guard = new NetGuard({ allowList: parseAllowList('127.0.0.1') });

let db: LocalDynamo;
let stores: Stores;
let hook: HookServer | undefined;

beforeAll(async () => {
  db = await startDynalite();
  stores = createDynamoStores(createDocumentClient({ tableName: db.tableName, endpoint: db.endpoint, credentials: db.credentials }), db.tableName);
});

afterAll(async () => {
  await db.stop();
});

afterEach(async () => {
  await hook?.close();
  hook = undefined;
});

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

function hourlyHook(id: string, url: string, extra: Record<string, unknown>) {
  const start = Math.ceil((Date.now() + 24 * HOUR) / 60_000) * 60_000;
  return {
    id,
    startDateTime: new Date(start).toISOString(),
    endDateTime: new Date(start + 3 * HOUR).toISOString(),
    frequency: { hours: 1 },
    action: { type: 'webhook', url: `${url}/hook` },
    notify: { channel: 'ops', email: 'ops@example.com' },
    notifyOn: ['failure'],
    ...extra,
  };
}

const taskOver = (runs: RunLedger, notifier: Notifier) => createTaskHandler(() => ({ ...stores, runs, steps: createSteps({ guard }), notifier, now: () => new Date() }));

describe('failure notifications', () => {
  it('under continue: one notice per failed run, none repeated though RecordFailure is retried after sending them', async () => {
    // Runs 0 and 2 are refused (400: permanent), 1 and 3 pass.
    hook = await startHook((request) => (/:(0|2)$/.test(request.idempotencyKey ?? '') ? 400 : 200));
    const notifier = recordingNotifier();
    const runs = losingFirstMarkAnswer(stores.runs);

    const { events, result } = await runOnEngine({ job: hourlyHook('notify-continue', hook.url, {}) }, 'notify-continue', taskOver(runs, notifier));

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
    hook = await startHook(() => 400);
    const notifier = recordingNotifier();
    const runs = losingFirstMarkAnswer(stores.runs);

    const { events, result } = await runOnEngine({ job: hourlyHook('notify-abort', hook.url, { onFailure: 'abort' }) }, 'notify-abort', taskOver(runs, notifier));

    expect(result.ok).toBe(false);
    expect(retried(events, 'RecordFailure')).toHaveLength(1);
    expect(notifier.sent.map((n) => n.subject)).toEqual(['Run 1 of job notify-abort failed', 'Job notify-abort FAILED']);
    expect(notifier.sent[1]?.text).toMatch(/^Job notify-abort FAILED: run 1 failed and its failure policy is abort\. Reason: PermanentError: webhook POST .* answered 400/);
    expect(await stores.jobs.getJob('notify-abort')).toMatchObject({ status: 'FAILED' });
  });
});
