/** The stores the handlers use: the DynamoDB adapters on the configured table, built once per container. */
import { storeConfig } from '../common/config';
import { createDynamoStores, documentClient, type Stores } from './dynamodb';

let stores: Stores | undefined;

export function dynamoStores(): Stores {
  stores ??= createDynamoStores(documentClient(), storeConfig().tableName);
  return stores;
}
