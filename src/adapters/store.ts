/** The store the handlers use: the DynamoDB adapter on the configured table, built once per container. */
import type { JobStore } from '../lib/store';
import { storeConfig } from '../common/config';
import { documentClient } from './dynamodb';
import { DynamoDbJobStore } from './dynamodb-store';
import { DynamoDbExtraRunStore } from './dynamodb-extra-store';
import type { ExtraRunStore } from '../lib/extra-runs';

let store: JobStore | undefined;

export function jobStore(): JobStore {
  store ??= new DynamoDbJobStore(documentClient(), storeConfig().tableName);
  return store;
}

let extras: ExtraRunStore | undefined;

/** Trigger and backfill requests and their runs, in the same table. */
export function extraRunStore(): ExtraRunStore {
  extras ??= new DynamoDbExtraRunStore(documentClient(), storeConfig().tableName);
  return extras;
}
