/**
 * The DynamoDB document client: the one place that knows how items are marshalled. On AWS it talks to the
 * regional endpoint; off AWS `DYNAMODB_ENDPOINT` points it at dynalite. Nothing else differs.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientOptions, storeConfig, type StoreConfig } from '../../common/config';

/**
 * A document client for the configured table's endpoint.
 * @example createDocumentClient({ tableName: 'jobs', endpoint: 'http://127.0.0.1:8000' })
 */
export function createDocumentClient(config: StoreConfig): DynamoDBDocumentClient {
  const client = new DynamoDBClient(clientOptions(config.endpoint));
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: {
      // Optional fields (finishedAt, reason, …) are left off the item rather than rejected.
      removeUndefinedValues: true,
      // Items are plain JSON; a class instance reaching the store is a bug to surface, not to flatten.
      convertClassInstanceToMap: false,
    },
    unmarshallOptions: {
      // Stored values are JSON: a number reads back as a JS number, as JSON.parse would give it, rather
      // than a BigInt (which JSON.stringify cannot write) for a result holding an integer above 2^53.
      wrapNumbers: (value: string) => Number(value),
    },
  });
}

let shared: DynamoDBDocumentClient | undefined;

/**
 * The container's document client, built on first use from TABLE_NAME / DYNAMODB_ENDPOINT.
 * @example const store = new DynamoDbJobStore(documentClient(), storeConfig().tableName);
 */
export function documentClient(): DynamoDBDocumentClient {
  shared ??= createDocumentClient(storeConfig());
  return shared;
}
