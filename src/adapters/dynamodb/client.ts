/**
 * The DynamoDB document client: the one place that knows how items are marshalled. On AWS it talks to the
 * regional endpoint; off AWS `DYNAMODB_ENDPOINT` points it at dynalite. Nothing else differs.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientOptions, storeConfig, type StoreConfig } from '../../common/config';

/**
 * How requests leave the client. Unset on AWS (the SDK's HTTPS agent); the local runtime hands its own
 * clients an in-process `requestHandler` to dynalite (src/local/dynamo.ts). Only the transport differs:
 * every command, expression and error path above it is this module's, the one that runs on AWS.
 */
export type Transport = Pick<DynamoDBClientConfig, 'requestHandler'>;

/**
 * A document client for the configured table's endpoint.
 * @example createDocumentClient({ tableName: 'jobs', endpoint: 'http://127.0.0.1:8000' })
 */
export function createDocumentClient(config: StoreConfig, transport: Transport = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ ...clientOptions(config.endpoint, process.env, config.credentials), ...transport });
  const documents = DynamoDBDocumentClient.from(client, {
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
  // Runs before the document client's own marshalling (serialize step), on every command it sends.
  documents.middlewareStack.add((next) => async (args) => next({ ...args, input: withOddKeysAsMaps(args.input) }), {
    step: 'initialize',
    name: 'OddKeysAsMaps',
  });
  return documents;
}

/**
 * The marshaller tells a plain object from a Set, a Map, a Buffer or a class instance by
 * `value.constructor.name`, so JSON with its own `constructor` key (`{"constructor":{"name":"Set"}}`) is
 * misread or refused. Such objects go in as a Map, which the marshaller writes as the same DynamoDB map
 * (`M`), read back as the same plain object. Everything else is passed as it is, uncopied.
 * @example withOddKeysAsMaps({ a: { constructor: 1 } }) // { a: Map { 'constructor' => 1 } }
 */
export function withOddKeysAsMaps<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => withOddKeysAsMaps(item));
    return (items.some((item, index) => item !== value[index]) ? items : value) as T;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  // Only plain objects (JSON, or built in code): Sets, Buffers, NumberValues… keep their own handling.
  if (prototype !== Object.prototype && prototype !== null) return value;
  const entries = Object.entries(value).map(([key, child]) => [key, withOddKeysAsMaps(child)] as const);
  if (Object.hasOwn(value, 'constructor')) return new Map(entries) as T;
  const changed = entries.some(([key, child]) => child !== (value as Record<string, unknown>)[key]);
  return (changed ? Object.fromEntries(entries) : value) as T;
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
