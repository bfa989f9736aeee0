/**
 * The RequestStore on DynamoDB: trigger and backfill requests, in the job's partition beside its live
 * runs under their own sort-key prefix (src/adapters/table.ts). Their runs are the ledger's (run-ledger.ts).
 */
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../lib/errors';
import { RequestNotActiveError, type RequestState } from '../../lib/extra-runs';
import { newExtraRequest, type ExtraRequest, type NewExtraRequest, type RequestStore } from '../../lib/store';
import { idempotencyItemKey, jobKey, jobPk, REQUEST_SK_PREFIX, requestKey } from '../table';
import { iso, Update } from './expressions';
import { toRequest, type RequestItem } from './items';
import { getItem, queryAll, sendConditional, sendTranslated, updateIf } from './send';

/**
 * @example
 * const { requests } = createDynamoStores(documentClient(), storeConfig().tableName);
 * await requests.createRequest({ jobId: 'daily', requestId: newRequestId('trigger', now), kind: 'trigger', runCount: 1, now });
 */
export class DynamoDbRequestStore implements RequestStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createRequest(input: NewExtraRequest): Promise<{ outcome: 'created' | 'exists'; request: ExtraRequest }> {
    // Counted on the job first, so the job never says fewer requests than it has (a crash after the count
    // leaves one too many, which only costs a job's detail a query): a detail skips looking when it says 0.
    await updateIf(
      this.client,
      this.tableName,
      jobKey(input.jobId),
      new Update().increment('requestsMade', 1),
      // Admits a job that exists: an update would otherwise create a bare job item.
      'attribute_exists(pk)',
    );
    let requestId = input.requestId;
    let keyed = false;
    if (input.idempotencyKey !== undefined) {
      // The key's item is written first and names the request; a repeat finds it and so the first request.
      const key = idempotencyItemKey(input.jobId, input.kind, input.idempotencyKey);
      const claimed = await sendConditional('PutItem', () =>
        this.client.send(new PutCommand({ TableName: this.tableName, Item: { ...key, requestId, createdAt: iso(input.now) }, ConditionExpression: 'attribute_not_exists(pk)' })),
      );
      if (!claimed) {
        const first = (await getItem<{ requestId?: string }>(this.client, this.tableName, key))?.requestId;
        if (first === undefined) throw new TransientError(`the idempotency key of job ${input.jobId} was deleted while it was being read`);
        requestId = first;
        keyed = true;
      }
    }
    const item: RequestItem = { ...requestKey(input.jobId, requestId), ...newExtraRequest(input, requestId) };
    const created = await sendConditional('PutItem', () =>
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
    const out = await sendTranslated('Query', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: { ':pk': jobPk(jobId), ':prefix': REQUEST_SK_PREFIX },
          ConsistentRead: true,
          ScanIndexForward: false,
          Limit: limit,
        }),
      ),
    );
    return ((out.Items ?? []) as RequestItem[]).map(toRequest);
  }

  async listRunningRequests(jobId: string): Promise<ExtraRequest[]> {
    const running = await queryAll<RequestItem>(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      FilterExpression: '#state = :running',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#state': 'state' },
      ExpressionAttributeValues: { ':pk': jobPk(jobId), ':prefix': REQUEST_SK_PREFIX, ':running': 'RUNNING' },
    });
    return running.map(toRequest);
  }

  async recordExecution(jobId: string, requestId: string, executionArn: string): Promise<void> {
    const update = new Update()
      .append('executionArns', [executionArn])
      .values({ ':arn': executionArn });
    // Admits a request that exists and does not list this execution yet: a repeat adds nothing.
    await updateIf(this.client, this.tableName, requestKey(jobId, requestId), update, 'attribute_exists(pk) AND NOT contains(#executionArns, :arn)');
  }

  async endRequest(jobId: string, requestId: string, state: Exclude<RequestState, 'RUNNING'>, now: Date, reason?: string): Promise<ExtraRequest> {
    const update = new Update().set('state', state).set('finishedAt', iso(now)).set('reason', reason).values({ ':running': 'RUNNING' });
    // Admits a request still going: the first end wins, a later one (a retry, a late cancel) changes nothing.
    const ended = await updateIf(this.client, this.tableName, requestKey(jobId, requestId), update, '#state = :running', 'ALL_NEW');
    if (ended) return toRequest(ended.Attributes as RequestItem);
    const existing = await this.getRequestItem(jobId, requestId);
    if (!existing) throw new RequestNotActiveError(jobId, requestId, 'gone (its job was deleted)');
    return toRequest(existing);
  }

  private async getRequestItem(jobId: string, requestId: string): Promise<RequestItem | undefined> {
    return getItem<RequestItem>(this.client, this.tableName, requestKey(jobId, requestId));
  }
}
