/**
 * The one definition of the jobs table. serverless.ts puts `jobTableProperties` in its resources as the
 * `AWS::DynamoDB::Table` Properties; the local runtime and the integration tests turn the same object into
 * a CreateTable call with `createTableInput`, so the two can never drift apart.
 *
 * Item layout (single table, one partition per job):
 *
 * | item | pk          | sk                                  | notable attributes                          |
 * |------|-------------|-------------------------------------|---------------------------------------------|
 * | job  | `JOB#<id>`  | `JOB`                               | `status`, `nextRunAt`, `cursor`, `progress` |
 * | run  | `JOB#<id>`  | `RUN#<iteration, 10 digits, 0-padded>` | `state`, `attempts`, `result`, `error`   |
 * | request | `JOB#<id>` | `REQUEST#<requestId>`            | a trigger or backfill: `kind`, `state`, counters |
 * | extra run | `JOB#<id>` | `EXTRA#<requestId>#<index, 6 digits>` | as a run, plus `requestId`, `kind`, `index` |
 * | idempotency | `JOB#<id>` | `IDEMPOTENCY#<kind>#<sha-256 of the key>` | `requestId` the key first made   |
 *
 * Request ids begin with their time (src/lib/extra-runs.ts), so reading `REQUEST#` or `EXTRA#` keys
 * backwards gives the newest requests first.
 *
 * Runs are items of their own, so a job of a million runs never meets the 400 KB item limit: the job item
 * holds counters, not a list of runs. The padding makes `sk` order equal iteration order.
 *
 * `status-index` (partition `status`, sort `nextRunAt`) lists jobs by status in the order they run next.
 * Only job items carry a `status` attribute (runs say `state`), so runs never enter the index.
 *
 * A job that is over (COMPLETED, FAILED, CANCELLED) has no next run, yet an index key may not be null:
 * its `nextRunAt` attribute holds the time it finished, so final jobs stay listable by status, newest
 * last. The store maps that back to `nextRunAt: null` for final jobs, which is what the API shows. A job
 * that is still going but has no next run for now (between its last run and its completion) stores the
 * time of that write and the flag `noNextRun`, mapped back to null the same way.
 *
 * `expiresAt` (epoch seconds) is the TTL attribute: an item that has it is deleted by DynamoDB some time
 * after that moment. The store sets none yet; a retention setting can. dynalite has no TTL, so the local
 * table skips it.
 */
import { createHash } from 'node:crypto';
import type {
  AttributeDefinition,
  BillingMode,
  CreateTableCommandInput,
  GlobalSecondaryIndex,
  KeySchemaElement,
  TimeToLiveSpecification,
} from '@aws-sdk/client-dynamodb';

export const STATUS_INDEX = 'status-index';
export const TTL_ATTRIBUTE = 'expiresAt';

/** `sk` of the job item. */
export const JOB_SK = 'JOB';
/** Prefix of every run item's `sk`. */
export const RUN_SK_PREFIX = 'RUN#';
/** Prefix of every trigger or backfill request item's `sk` (src/lib/extra-runs.ts). */
export const REQUEST_SK_PREFIX = 'REQUEST#';
/** Prefix of every triggered or backfilled run item's `sk`: apart from `RUN#`, so live listings never see them. */
export const EXTRA_SK_PREFIX = 'EXTRA#';
/** Prefix of the item that ties a client's Idempotency-Key to the request it made. */
export const IDEMPOTENCY_SK_PREFIX = 'IDEMPOTENCY#';
/** A request holds at most 1,000 runs (MAX_BACKFILL_RUNS); six digits keep `sk` order equal index order. */
const INDEX_DIGITS = 6;
const ITERATION_DIGITS = 10;

/** The table's Properties in CloudFormation's `AWS::DynamoDB::Table` shape (TableName comes from the caller). */
export interface JobTableProperties {
  AttributeDefinitions: AttributeDefinition[];
  KeySchema: KeySchemaElement[];
  GlobalSecondaryIndexes: GlobalSecondaryIndex[];
  BillingMode: BillingMode;
  TimeToLiveSpecification: TimeToLiveSpecification;
}

export const jobTableProperties: JobTableProperties = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'status', AttributeType: 'S' },
    { AttributeName: 'nextRunAt', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: STATUS_INDEX,
      KeySchema: [
        { AttributeName: 'status', KeyType: 'HASH' },
        { AttributeName: 'nextRunAt', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
  TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
};

/**
 * The CreateTable input for the same table, for dynalite (local runtime, tests). TTL is set on AWS by
 * CloudFormation and is not part of CreateTable, so it is left out here.
 * @example await client.send(new CreateTableCommand(createTableInput('step-scheduler-jobs')));
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode } = structuredClone(jobTableProperties);
  return { TableName: tableName, AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode };
}

/** `pk` of every item of a job. @example jobPk('daily') // 'JOB#daily' */
export function jobPk(jobId: string): string {
  return `JOB#${jobId}`;
}

/** The key of a job item. @example jobKey('daily') // { pk: 'JOB#daily', sk: 'JOB' } */
export function jobKey(jobId: string): { pk: string; sk: string } {
  return { pk: jobPk(jobId), sk: JOB_SK };
}

/** `sk` of a run item. @example runSk(7) // 'RUN#0000000007' */
export function runSk(iteration: number): string {
  if (!Number.isSafeInteger(iteration) || iteration < 0 || iteration >= 10 ** ITERATION_DIGITS) {
    throw new RangeError(`iteration must be a whole number from 0 to ${10 ** ITERATION_DIGITS - 1}, got ${iteration}`);
  }
  return `${RUN_SK_PREFIX}${String(iteration).padStart(ITERATION_DIGITS, '0')}`;
}

/** The key of a run item. @example runKey('daily', 7) // { pk: 'JOB#daily', sk: 'RUN#0000000007' } */
export function runKey(jobId: string, iteration: number): { pk: string; sk: string } {
  return { pk: jobPk(jobId), sk: runSk(iteration) };
}

/** The key of a trigger or backfill request item. @example requestKey('daily', 'trigger-…') // { pk: 'JOB#daily', sk: 'REQUEST#trigger-…' } */
export function requestKey(jobId: string, requestId: string): { pk: string; sk: string } {
  return { pk: jobPk(jobId), sk: `${REQUEST_SK_PREFIX}${requestId}` };
}

/** The key of run `index` of a request. @example extraRunKey('daily', 'backfill-…', 3) // { pk: 'JOB#daily', sk: 'EXTRA#backfill-…#000003' } */
export function extraRunKey(jobId: string, requestId: string, index: number): { pk: string; sk: string } {
  if (!Number.isSafeInteger(index) || index < 0 || index >= 10 ** INDEX_DIGITS) {
    throw new RangeError(`index must be a whole number from 0 to ${10 ** INDEX_DIGITS - 1}, got ${index}`);
  }
  return { pk: jobPk(jobId), sk: `${EXTRA_SK_PREFIX}${requestId}#${String(index).padStart(INDEX_DIGITS, '0')}` };
}

/** The key of the item an Idempotency-Key leaves behind. @example idempotencyKey('daily', 'trigger', 'k') // { pk: 'JOB#daily', sk: 'IDEMPOTENCY#trigger#…' } */
export function idempotencyItemKey(jobId: string, kind: string, key: string): { pk: string; sk: string } {
  return { pk: jobPk(jobId), sk: `${IDEMPOTENCY_SK_PREFIX}${kind}#${createHash('sha256').update(key).digest('hex')}` };
}

/** `sk` of the item that ties a client's Idempotency-Key on `POST /jobs` to the job it created. */
export const SUBMIT_KEY_SK = 'IDEMPOTENCY';

/**
 * The key of the item a `POST /jobs` Idempotency-Key leaves behind: a partition of its own (the job's id is
 * what it tells), with an `sk` no listing of jobs or runs reads.
 * @example submitKeyItemKey('click-1') // { pk: 'SUBMIT#<sha-256 of the key>', sk: 'IDEMPOTENCY' }
 */
export function submitKeyItemKey(key: string): { pk: string; sk: string } {
  return { pk: `SUBMIT#${createHash('sha256').update(key).digest('hex')}`, sk: SUBMIT_KEY_SK };
}
