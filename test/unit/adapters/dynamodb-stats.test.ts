import { DynamoDBClient, ProvisionedThroughputExceededException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbRunDurations } from '../../../src/adapters/dynamodb-stats';
import { TransientError } from '../../../src/lib/errors';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const dynamo = mockClient(client);

beforeEach(() => dynamo.reset());
afterAll(() => dynamo.restore());

describe('DynamoDbRunDurations', () => {
  it('collects the durations of finished runs across pages, up to maxItems', async () => {
    dynamo
      .on(ScanCommand)
      .resolvesOnce({ Items: [{ durationMs: 120 }, { durationMs: -1 }, { durationMs: 'x' }], LastEvaluatedKey: { pk: 'JOB#a', sk: 'RUN#0' } })
      .resolvesOnce({ Items: [{ durationMs: 80 }, { durationMs: 95 }] });

    const durations = await new DynamoDbRunDurations(client, 'jobs', { maxItems: 2 }).durations();

    expect(durations).toEqual([120, 80]);
    expect(dynamo.commandCalls(ScanCommand).map((call) => call.args[0].input.ExclusiveStartKey)).toEqual([undefined, { pk: 'JOB#a', sk: 'RUN#0' }]);
  });

  it('throws TransientError when the Scan is throttled, as every other read does', async () => {
    dynamo.on(ScanCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } }));

    const act = new DynamoDbRunDurations(client, 'jobs').durations();

    await expect(act).rejects.toThrow(TransientError);
    await expect(act).rejects.toThrow('DynamoDB Scan of run durations failed, try again: ProvisionedThroughputExceededException: slow down');
  });

  it('passes a refused Scan through as the bug it is (a missing table is not retried)', async () => {
    const missing = new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: { httpStatusCode: 400 } });
    dynamo.on(ScanCommand).rejects(missing);

    await expect(new DynamoDbRunDurations(client, 'jobs').durations()).rejects.toBe(missing);
  });
});
