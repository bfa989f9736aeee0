/**
 * What the reliability tests share: the real ASL on the local engine with handlers of the test's choosing,
 * a loopback webhook that counts what it receives, and faults injected at the DynamoDB client and the
 * store — the boundaries where a deployed scheduler meets throttling and crashes.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ThrottlingException } from '@aws-sdk/client-dynamodb';
import { createDocumentClient, createDynamoStores, type Stores } from '../../../src/adapters/dynamodb';
import { NetGuard } from '../../../src/adapters/guarded-http';
import { createNotifier } from '../../../src/adapters/notifier';
import { createTaskHandler } from '../../../src/functions/task/handler';
import type { AttemptDeps } from '../../../src/lib/attempt';
import { parseAllowList } from '../../../src/lib/net-guard';
import { createSteps } from '../../../src/steps/registry';
import { startDynalite, type LocalDynamo } from '../../support/dynalite';
import { startHook, type HookRequest, type HookServer } from '../../support/hook';

export { calculator, entered, retried, runOnEngine, type StateEvent } from '../../support/engine';

export { startHook, type HookRequest, type HookServer } from '../../support/hook';

/**
 * One dynalite for the test file (or the describe block it is called in), started before its tests and
 * stopped after them, with the real DynamoDB stores on it. The fields are set once `beforeAll` has run.
 * @example
 * const dynamo = useDynamoStores();
 * it('…', async () => { await dynamo.stores.jobs.getJob('id'); });
 */
export function useDynamoStores(): { readonly db: LocalDynamo; readonly stores: Stores } {
  const dynamo = {} as { db: LocalDynamo; stores: Stores };
  beforeAll(async () => {
    dynamo.db = await startDynalite();
    dynamo.stores = createDynamoStores(createDocumentClient({ tableName: dynamo.db.tableName, endpoint: dynamo.db.endpoint, credentials: dynamo.db.credentials }), dynamo.db.tableName);
  });
  afterAll(async () => {
    await dynamo.db.stop();
  });
  return dynamo;
}

/**
 * Webhook receivers for one test each: `start` opens one on 127.0.0.1 (startHook), and every one a test
 * opened is closed after it, passed or failed.
 */
export function hooksClosedAfterEach(): { start(status: (request: HookRequest) => number, delayMs?: number): Promise<HookServer> } {
  let open: HookServer[] = [];
  afterEach(async () => {
    await Promise.all(open.map((hook) => hook.close()));
    open = [];
  });
  return {
    async start(status, delayMs) {
      const hook = await startHook(status, delayMs);
      open.push(hook);
      return hook;
    },
  };
}

/** The guard as deployed but for 127.0.0.1, where the tests' hooks listen. */
export const LOOPBACK_GUARD = new NetGuard({ allowList: parseAllowList('127.0.0.1') });

/** The task Lambda on these stores, its webhooks allowed to reach the loopback hooks; `deps` replaces any part. */
export function loopbackTask(stores: Stores, deps: Partial<AttemptDeps> = {}) {
  return createTaskHandler(() => ({ ...stores, steps: createSteps({ guard: LOOPBACK_GUARD }), notifier: createNotifier({}), now: () => new Date(), ...deps }));
}

const HOUR = 3_600_000;

/** Four hourly webhook runs from tomorrow on (waits are 0 ms, and no run is ever late). */
export function hourlyHook(id: string, url: string, extra: Record<string, unknown> = {}) {
  const start = Math.ceil((Date.now() + 24 * HOUR) / 60_000) * 60_000;
  return {
    id,
    startDateTime: new Date(start).toISOString(),
    endDateTime: new Date(start + 3 * HOUR).toISOString(),
    frequency: { hours: 1 },
    action: { type: 'webhook', url: `${url}/hook` },
    ...extra,
  };
}

/**
 * Make every `n`th request of a document client fail as DynamoDB does when it throttles, before the
 * request is sent (so the failed call changed nothing). Returns how many it threw.
 */
export function throttleEveryNth(client: DynamoDBDocumentClient, n: number): { calls: number; throttled: number } {
  const counts = { calls: 0, throttled: 0 };
  const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as { send: unknown }).send = (...args: unknown[]) => {
    counts.calls += 1;
    if (counts.calls % n === 0) {
      counts.throttled += 1;
      return Promise.reject(
        new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput.', $metadata: { httpStatusCode: 400 } }),
      );
    }
    return send(...args);
  };
  return counts;
}

/**
 * Let the first `healthy` calls through and throttle every call after them: a table that stops answering
 * for good, so every retry of whatever runs then fails.
 */
export function throttleAfter(client: DynamoDBDocumentClient, healthy: number): { calls: number; throttled: number } {
  const counts = { calls: 0, throttled: 0 };
  const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as { send: unknown }).send = (...args: unknown[]) => {
    counts.calls += 1;
    if (counts.calls > healthy) {
      counts.throttled += 1;
      return Promise.reject(
        new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput.', $metadata: { httpStatusCode: 400 } }),
      );
    }
    return send(...args);
  };
  return counts;
}
