/**
 * The store on DynamoDB, split by concern: the document client (client.ts), the expression builder
 * (expressions.ts), sending with errors in domain terms (send.ts), paging (paging.ts), item↔record mapping
 * (items.ts), the job store (job-store.ts), the request store (request-store.ts) and the run ledger
 * (run-ledger.ts). The table itself is defined once in src/adapters/table.ts.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RunLedger } from '../../lib/ledger';
import type { JobStore, RequestStore } from '../../lib/store';
import { DynamoDbJobStore } from './job-store';
import { DynamoDbRequestStore } from './request-store';
import { DynamoDbRunLedger } from './run-ledger';

export { createDocumentClient, documentClient, withOddKeysAsMaps } from './client';
export { DynamoDbJobStore } from './job-store';
export { DynamoDbRequestStore } from './request-store';
export { DynamoDbRunLedger } from './run-ledger';

/** The three stores a handler needs, over one table. */
export interface Stores {
  jobs: JobStore;
  requests: RequestStore;
  runs: RunLedger;
}

/**
 * @example const { jobs, requests, runs } = createDynamoStores(documentClient(), storeConfig().tableName);
 */
export function createDynamoStores(client: DynamoDBDocumentClient, tableName: string): Stores {
  const jobs = new DynamoDbJobStore(client, tableName);
  return { jobs, requests: new DynamoDbRequestStore(client, tableName), runs: new DynamoDbRunLedger(client, tableName, jobs) };
}
