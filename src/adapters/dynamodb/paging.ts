/**
 * Paging through DynamoDB reads: the opaque cursor handed to clients (the last key, base64url JSON) and the
 * loop that reads until a page is full, so a filtered read never hands out an empty page before the end.
 */
import { ValidationError } from '../../lib/errors';

export type Key = Record<string, string>;

export const TABLE_KEY = ['pk', 'sk'] as const;
export const STATUS_INDEX_KEY = ['pk', 'sk', 'status', 'nextRunAt'] as const;

export function encodeCursor(key: Key): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function badCursor(): ValidationError {
  return new ValidationError([{ field: 'cursor', message: 'is not a cursor this listing returned; start again without it' }]);
}

/**
 * Decode a cursor and check it has exactly the key attributes this listing uses; the one check of a
 * client's cursor (the API only renames the field).
 */
export function decodeCursor(cursor: string, attributes: readonly string[], check: (key: Key) => boolean): Key {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor) || cursor.length > 4096) throw badCursor();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw badCursor();
  const entries = Object.entries(key);
  const valid =
    entries.length === attributes.length &&
    entries.every(([name, value]) => attributes.includes(name) && typeof value === 'string' && value !== '') &&
    check(key as Key);
  if (!valid) throw badCursor();
  return key as Key;
}

export function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new ValidationError([{ field: 'limit', message: 'must be a whole number of 1 or more' }]);
  }
}

export function pick(item: Record<string, unknown>, attributes: readonly string[]): Key {
  return Object.fromEntries(attributes.map((name) => [name, String(item[name])]));
}

type Read = (startKey: Key | undefined, want: number) => Promise<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>;

/**
 * Read pages until `limit` items are in hand or the table ends. One item more than asked is fetched so
 * the last page knows it is the last (no empty page after it); the cursor is the key of the last item
 * returned, so the extra one is read again on the next page.
 */
export async function collect<T extends object>(limit: number, startKey: Key | undefined, keyAttributes: readonly string[], read: Read): Promise<{ items: T[]; next?: Key }> {
  const items: T[] = [];
  let key = startKey;
  for (;;) {
    const out = await read(key, limit + 1 - items.length);
    items.push(...((out.Items ?? []) as T[]));
    if (items.length > limit) {
      const last = items[limit - 1] as Record<string, unknown>;
      return { items: items.slice(0, limit), next: pick(last, keyAttributes) };
    }
    if (out.LastEvaluatedKey === undefined) return { items };
    key = out.LastEvaluatedKey as Key;
  }
}
