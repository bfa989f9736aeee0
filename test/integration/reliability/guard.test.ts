/**
 * The webhook guard at both of its checks: POST /jobs refuses a job that would call a non-public
 * address (400, naming the field), and a job that never passed the API — a console execution — is
 * refused at call time by the task, without a connection and without retries.
 */
import { LIVE } from '../../../src/lib/ledger';
import { PUBLIC_ONLY } from '../../../src/adapters/guarded-http';
import { createNotifier } from '../../../src/adapters/notifier';
import { createTaskHandler } from '../../../src/functions/task/handler';
import { createSteps } from '../../../src/steps/registry';
import { useApi } from '../api/harness';
import { entered, retried, runOnEngine, useDynamoStores } from './support';

const tomorrow = () => new Date(Math.ceil((Date.now() + 86_400_000) / 60_000) * 60_000).toISOString();

describe('POST /jobs behind the webhook guard', () => {
  const t = useApi();

  it('answers 400 naming action.url and saying why for a name that resolves to the metadata address, and writes nothing', async () => {
    const reply = await t.call('POST', '/jobs', {
      body: { id: 'sneaky', startDateTime: tomorrow(), action: { type: 'webhook', url: 'http://metadata.guard.test/latest/meta-data/iam' } },
    });

    expect(reply.status).toBe(400);
    expect(reply.body.error).toEqual({
      code: 'VALIDATION_ERROR',
      field: 'action.url',
      message:
        'action.url: metadata.guard.test resolves to 169.254.169.254, the link-local cloud metadata address; only public addresses may be called (WEBHOOK_ALLOW_HOSTS, or --allow-hosts locally, lists exceptions)',
    });
    expect(await t.items()).toEqual([]);
  });

  it('refuses a job with two refused URLs, naming the first and counting the other (a failure destination)', async () => {
    const reply = await t.call('POST', '/jobs', {
      body: {
        id: 'two-bad',
        startDateTime: tomorrow(),
        action: { type: 'webhook', url: 'http://10.0.0.8/hook' },
        failureDestination: { type: 'url', url: 'http://[::ffff:127.0.0.1]:9000/failures' },
      },
    });

    expect(reply.status).toBe(400);
    expect(reply.body.error.field).toBe('action.url');
    expect(reply.body.error.message).toBe(
      'action.url: 10.0.0.8 is a private address; only public addresses may be called (WEBHOOK_ALLOW_HOSTS, or --allow-hosts locally, lists exceptions) (and 1 more)',
    );
  });

  it('accepts a public name and one that does not resolve yet, leaving those to the call-time check', async () => {
    const publicReply = await t.call('POST', '/jobs', { body: { id: 'public', startDateTime: tomorrow(), action: { type: 'webhook', url: 'https://public.guard.test/hook' } } });
    const unresolved = await t.call('POST', '/jobs', { body: { id: 'unresolved', startDateTime: tomorrow(), action: { type: 'webhook', url: 'https://not-yet.guard.test/hook' } } });

    expect([publicReply.status, unresolved.status]).toEqual([201, 201]);
  });
});

describe('a console execution behind the webhook guard', () => {
  const dynamo = useDynamoStores();

  const task = () => createTaskHandler(() => ({ ...dynamo.stores, steps: createSteps({ guard: PUBLIC_ONLY }), notifier: createNotifier({}), now: () => new Date() }));

  it('records a webhook to the metadata address as a permanent failure, not retried', async () => {
    const job = { id: 'console-metadata', startDateTime: tomorrow(), action: { type: 'webhook', url: 'http://169.254.169.254/latest/meta-data/' } };

    const { events } = await runOnEngine(job, 'console-metadata', task());

    expect(retried(events, 'RunStep')).toHaveLength(0);
    expect(entered(events, 'RecordFailure')).toHaveLength(1);
    expect(await dynamo.stores.runs.get({ jobId: 'console-metadata', series: LIVE, index: 0 })).toMatchObject({
      state: 'FAILED',
      attempts: 1,
      error: {
        name: 'BlockedDestinationError',
        message: 'webhook POST http://169.254.169.254/latest/meta-data/ refused: 169.254.169.254 is the link-local cloud metadata address; only public addresses may be called (WEBHOOK_ALLOW_HOSTS, or --allow-hosts locally, lists exceptions)',
      },
    });
  });

  it('fails a workflow whose data source is a private address at its collection run', async () => {
    const start = tomorrow();
    const job = { id: 'console-private-data', startDateTime: start, endDateTime: new Date(Date.parse(start) + 2 * 86_400_000).toISOString(), frequency: { days: 1 }, config: { dataSource: 'http://192.168.1.10/data.json' } };

    const { result } = await runOnEngine(job, 'console-private-data', task());

    expect(result.ok).toBe(false);
    expect(await dynamo.stores.jobs.getJob('console-private-data')).toMatchObject({ status: 'FAILED', reason: expect.stringContaining('192.168.1.10 is a private address') });
  });
});
