/**
 * The ExtraRunStore on DynamoDB: trigger and backfill requests and their runs, in the job's partition
 * beside its live runs but under their own sort-key prefixes (src/adapters/table.ts), so no live listing,
 * counter or cursor ever sees them.
 *
 * The same two-write scheme as the live runs (src/adapters/dynamodb-store.ts): the run item is the arbiter
 * between concurrent finishers, the request item counts each run at most once through its `cursor` (runs of
 * a request go in order), and whoever finds a run finished but uncounted counts it.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RunAlreadyFinishedError, TransientError } from '../lib/errors';
import {
  RequestNotActiveError,
  type BeginExtraRunInput,
  type ExtraRequest,
  type ExtraRunRecord,
  type ExtraRunStore,
  type FinishExtraRunInput,
  type NewExtraRequest,
  type RequestState,
} from '../lib/extra-runs';
import { iso, sendConditional, sendTranslated, Update, updateIf } from './dynamodb-store';
import { EXTRA_SK_PREFIX, extraRunKey, idempotencyItemKey, jobPk, REQUEST_SK_PREFIX, requestKey } from './table';

interface RequestItem extends ExtraRequest {
  pk: string;
  sk: string;
  expiresAt?: number;
}

interface ExtraRunItem extends ExtraRunRecord {
  pk: string;
  sk: string;
  expiresAt?: number;
}

const MAX_OPTIMISTIC_ATTEMPTS = 5;

function toRequest(item: RequestItem): ExtraRequest {
  const { pk: _pk, sk: _sk, expiresAt: _expiresAt, ...request } = item;
  return { ...request, executionArns: request.executionArns ?? [] };
}

function toRun(item: ExtraRunItem): ExtraRunRecord {
  const { pk: _pk, sk: _sk, expiresAt: _expiresAt, ...run } = item;
  return run;
}

/**
 * @example
 * const extras = new DynamoDbExtraRunStore(documentClient(), storeConfig().tableName);
 * await extras.createRequest({ jobId: 'daily', requestId: newRequestId('trigger', now), kind: 'trigger', runCount: 1, now });
 */
export class DynamoDbExtraRunStore implements ExtraRunStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createRequest(input: NewExtraRequest): Promise<{ outcome: 'created' | 'exists'; request: ExtraRequest }> {
    let requestId = input.requestId;
    let keyed = false;
    if (input.idempotencyKey !== undefined) {
      // The key's item is written first and names the request; a repeat finds it and so the first request.
      const key = idempotencyItemKey(input.jobId, input.kind, input.idempotencyKey);
      const claimed = await this.conditional('PutItem', () =>
        this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...key, requestId, createdAt: iso(input.now) }, ConditionExpression: 'attribute_not_exists(pk)' })),
      );
      if (!claimed) {
        const out = await this.call('GetItem', () => this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })));
        const first = (out.Item as { requestId?: string } | undefined)?.requestId;
        if (first === undefined) throw new TransientError(`the idempotency key of job ${input.jobId} was deleted while it was being read`);
        requestId = first;
        keyed = true;
      }
    }
    const item: RequestItem = {
      ...requestKey(input.jobId, requestId),
      jobId: input.jobId,
      requestId,
      kind: input.kind,
      state: 'RUNNING',
      requestedAt: iso(input.now),
      runCount: input.runCount,
      completedRuns: 0,
      failedRuns: 0,
      cursor: -1,
      executionArns: [],
      ...(input.from === undefined ? {} : { from: input.from }),
      ...(input.to === undefined ? {} : { to: input.to }),
      ...(input.firstIteration === undefined ? {} : { firstIteration: input.firstIteration }),
      ...(input.beforeIteration === undefined ? {} : { beforeIteration: input.beforeIteration }),
      ...(input.note === undefined ? {} : { note: input.note }),
    };
    const created = await this.conditional('PutItem', () =>
      // Admits an id never used: a repeated request with the same id finds the first one.
      this.client.send(new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })),
    );
    // A keyed repeat whose first attempt died between its two writes writes the request now, as 'created'.
    if (created) return { outcome: keyed ? 'exists' : 'created', request: toRequest(item) };
    const existing = await this.getRequestItem(input.jobId, requestId);
    if (!existing) throw new TransientError(`request ${requestId} of job ${input.jobId} was deleted while it was being created`);
    return { outcome: 'exists', request: toRequest(existing) };
  }

  async getRequest(jobId: string, requestId: string): Promise<ExtraRequest | undefined> {
    const item = await this.getRequestItem(jobId, requestId);
    return item && toRequest(item);
  }

  async listRequests(jobId: string, limit: number): Promise<ExtraRequest[]> {
    // Request ids begin with their time: the last keys are the newest requests.
    return (await this.query<RequestItem>(jobId, REQUEST_SK_PREFIX, limit)).map(toRequest);
  }

  async listRunningRequests(jobId: string): Promise<ExtraRequest[]> {
    const running: ExtraRequest[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.call('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
            FilterExpression: '#state = :running',
            ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#state': 'state' },
            ExpressionAttributeValues: { ':pk': jobPk(jobId), ':prefix': REQUEST_SK_PREFIX, ':running': 'RUNNING' },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      running.push(...((out.Items ?? []) as RequestItem[]).map(toRequest));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return running;
  }

  async listRuns(jobId: string, limit: number): Promise<ExtraRunRecord[]> {
    return (await this.query<ExtraRunItem>(jobId, EXTRA_SK_PREFIX, limit)).map(toRun);
  }

  async getRun(jobId: string, requestId: string, index: number): Promise<ExtraRunRecord | undefined> {
    const item = await this.getRunItem(jobId, requestId, index);
    return item && toRun(item);
  }

  async recordExecution(jobId: string, requestId: string, executionArn: string): Promise<void> {
    await this.conditional('UpdateItem', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: requestKey(jobId, requestId),
          UpdateExpression: 'SET executionArns = list_append(if_not_exists(executionArns, :none), :arns)',
          // Admits a request that exists and does not list this execution yet: a repeat adds nothing.
          ConditionExpression: 'attribute_exists(pk) AND NOT contains(executionArns, :arn)',
          ExpressionAttributeValues: { ':none': [], ':arns': [executionArn], ':arn': executionArn },
        }),
      ),
    );
  }

  async beginRun(input: BeginExtraRunInput): Promise<{ kind: 'run'; attempts: number } | { kind: 'already-finished'; run: ExtraRunRecord }> {
    const request = await this.getRequestItem(input.jobId, input.requestId);
    if (!request) throw new RequestNotActiveError(input.jobId, input.requestId, 'gone (its job was deleted)');
    if (request.state !== 'RUNNING') throw new RequestNotActiveError(input.jobId, input.requestId, request.state);
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_ATTEMPTS; attempt += 1) {
      const update = new Update()
        .set('jobId', input.jobId)
        .set('requestId', input.requestId)
        .set('kind', input.kind)
        .set('index', input.index)
        .set('iteration', input.iteration)
        .set('phase', input.phase)
        .set('plannedAt', input.plannedAt)
        .set('startedAt', iso(input.now))
        .set('state', 'STARTED')
        .set('executionArn', input.executionArn)
        .setExpression('#attempts = if_not_exists(#attempts, :zero) + :one')
        .names('attempts', 'state')
        .values({ ':zero': 0, ':one': 1, ':started': 'STARTED' });
      const begun = await this.updateIf(
        extraRunKey(input.jobId, input.requestId, input.index),
        update,
        // Admits a run never begun, or a retry of an attempt that died while running. A finished run
        // (SUCCEEDED or FAILED) is never run again: the request has moved past it.
        'attribute_not_exists(pk) OR #state = :started',
        'ALL_NEW',
      );
      if (begun) return { kind: 'run', attempts: (begun.Attributes as ExtraRunItem).attempts };
      const stored = await this.getRunItem(input.jobId, input.requestId, input.index);
      if (stored && stored.state !== 'STARTED') {
        // A re-delivered invocation: count the run on its request if a crash came between the two writes.
        await this.countOnRequest(stored);
        return { kind: 'already-finished', run: toRun(stored) };
      }
    }
    throw new TransientError(`run ${input.index} of request ${input.requestId} kept changing while it was being begun`);
  }

  async finishRun(input: FinishExtraRunInput): Promise<ExtraRunRecord> {
    const { outcome } = input;
    const update = new Update().set('state', outcome.state).set('finishedAt', iso(input.now)).set('expiresAt', input.expiresAt).values({ ':started': 'STARTED' });
    if (outcome.state === 'SUCCEEDED') update.set('result', outcome.result).set('durationMs', Math.max(0, Math.round(outcome.durationMs)));
    else update.set('error', outcome.error);
    const finished = await this.updateIf(
      extraRunKey(input.jobId, input.requestId, input.index),
      update,
      // Admits only a run still going: of two finishers the second loses.
      '#state = :started',
      'ALL_NEW',
    );
    if (finished) {
      const item = finished.Attributes as ExtraRunItem;
      await this.countOnRequest(item);
      return toRun(item);
    }
    const stored = await this.getRunItem(input.jobId, input.requestId, input.index);
    if (stored && stored.state !== 'STARTED') await this.countOnRequest(stored);
    throw new RunAlreadyFinishedError(input.jobId, input.index);
  }

  async endRequest(jobId: string, requestId: string, state: Exclude<RequestState, 'RUNNING'>, now: Date, reason?: string): Promise<ExtraRequest> {
    const update = new Update().set('state', state).set('finishedAt', iso(now)).set('reason', reason).values({ ':running': 'RUNNING' });
    const ended = await this.updateIf(
      requestKey(jobId, requestId),
      update,
      // Admits a request still going: the first end wins, a later one (a retry, a late cancel) changes nothing.
      '#state = :running',
      'ALL_NEW',
    );
    if (ended) return toRequest(ended.Attributes as RequestItem);
    const existing = await this.getRequestItem(jobId, requestId);
    if (!existing) throw new RequestNotActiveError(jobId, requestId, 'gone (its job was deleted)');
    return toRequest(existing);
  }

  // ---- plumbing -------------------------------------------------------------------------------------

  /** Count a finished run on its request once: the request's cursor only moves forward. */
  private async countOnRequest(run: ExtraRunItem): Promise<void> {
    const counter = run.state === 'SUCCEEDED' ? 'completedRuns' : 'failedRuns';
    await this.conditional('UpdateItem', () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: requestKey(run.jobId, run.requestId),
          UpdateExpression: `SET #cursor = :index, #counter = #counter + :one`,
          // Admits a request that exists and has not counted this run (nor a later one).
          ConditionExpression: 'attribute_exists(pk) AND #cursor < :index',
          ExpressionAttributeNames: { '#cursor': 'cursor', '#counter': counter },
          ExpressionAttributeValues: { ':index': run.index, ':one': 1 },
        }),
      ),
    );
  }

  private async query<T>(jobId: string, prefix: string, limit: number): Promise<T[]> {
    const out = await this.call('Query', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: { ':pk': jobPk(jobId), ':prefix': prefix },
          ConsistentRead: true,
          ScanIndexForward: false,
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? []) as T[];
  }

  private async getRequestItem(jobId: string, requestId: string): Promise<RequestItem | undefined> {
    const out = await this.call('GetItem', () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: requestKey(jobId, requestId), ConsistentRead: true })),
    );
    return out.Item as RequestItem | undefined;
  }

  private async getRunItem(jobId: string, requestId: string, index: number): Promise<ExtraRunItem | undefined> {
    const out = await this.call('GetItem', () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: extraRunKey(jobId, requestId, index), ConsistentRead: true })),
    );
    return out.Item as ExtraRunItem | undefined;
  }

  private updateIf(key: Record<string, string>, update: Update, condition: string, returnValues?: 'ALL_NEW') {
    return updateIf(this.client, this.tableName, key, update, condition, returnValues);
  }

  private call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    return sendTranslated(operation, send);
  }

  private conditional<T>(operation: string, send: () => Promise<T>): Promise<T | undefined> {
    return sendConditional(operation, send);
  }
}
