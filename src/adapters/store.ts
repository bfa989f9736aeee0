/** The store the handlers use: the DynamoDB adapter on the configured table, built once per container. */
import type { JobStore } from '../lib/store';
import { storeConfig } from '../common/config';
import { documentClient } from './dynamodb';
import { DynamoDbJobStore } from './dynamodb-store';

let store: JobStore | undefined;

export function jobStore(): JobStore {
  store ??= new DynamoDbJobStore(documentClient(), storeConfig().tableName);
  return store;
}
