/**
 * What the reliability tests share: the real ASL on the local engine with handlers of the test's choosing,
 * a loopback webhook that counts what it receives, and faults injected at the DynamoDB client and the
 * store — the boundaries where a deployed scheduler meets throttling and crashes.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ThrottlingException } from '@aws-sdk/client-dynamodb';

export { calculator, entered, retried, runOnEngine, type StateEvent } from '../../support/engine';

export { startHook, type HookRequest, type HookServer } from '../../support/hook';

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
