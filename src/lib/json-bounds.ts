/**
 * What a free-form JSON field (a job's `context`, a webhook's `body`) may hold so that DynamoDB can store it
 * and it reads back the same: nesting within DynamoDB's 32 levels for the whole item, numbers JavaScript
 * holds exactly and DynamoDB accepts, and no key JavaScript objects cannot carry. Checked without
 * recursion, so a body nested 100,000 levels deep is measured, not a stack overflow.
 */

/** DynamoDB: "nested attributes up to 32 levels deep", counted from the item's top-level attributes. */
export const DYNAMODB_MAX_DEPTH = 32;
/** DynamoDB numbers: positive values from 1E-130 (smaller ones underflow and are refused). */
const DYNAMODB_MIN_MAGNITUDE = 1e-130;

export interface JsonBoundIssue {
  /** Where, below the field: `['a', 0, 'b']`. */
  path: Array<string | number>;
  message: string;
}

/**
 * Container levels of a JSON value: 0 for a scalar, 1 for `{"a":1}` or `[1]`, 2 for `{"a":[1]}`.
 * @example jsonDepth({ a: [1] }) // 2
 */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    const level = depth + 1;
    if (level > deepest) deepest = level;
    for (const child of Object.values(current)) stack.push({ value: child, depth: level });
  }
  return deepest;
}

/**
 * The first thing in `value` that DynamoDB cannot store as given, or undefined. `levelsAbove` is how many
 * map levels of the stored item hold the field (a job's `context` sits in the item's `job` map: 1), so the
 * field itself may nest `32 - levelsAbove` levels.
 * @example jsonBoundIssue({ n: 2 ** 60 }, 1) // { path: ['n'], message: '1152921504606846976 is not a safe integer: …' }
 */
export function jsonBoundIssue(value: unknown, levelsAbove: number): JsonBoundIssue | undefined {
  const maxDepth = DYNAMODB_MAX_DEPTH - levelsAbove;
  const depth = jsonDepth(value);
  if (depth > maxDepth) {
    return {
      path: [],
      message: `nested ${depth} levels deep; at most ${maxDepth} (DynamoDB allows ${DYNAMODB_MAX_DEPTH} for the whole item, and this field sits ${levelsAbove} level${levelsAbove === 1 ? '' : 's'} down in it)`,
    };
  }
  const stack: Array<{ value: unknown; path: Array<string | number> }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'number') {
      const message = numberIssue(current);
      if (message) return { path, message };
    } else if (Array.isArray(current)) {
      current.forEach((child, index) => stack.push({ value: child, path: [...path, index] }));
    } else if (typeof current === 'object' && current !== null) {
      for (const key of Object.keys(current)) {
        // JSON.parse makes "__proto__" an own key, but copying the object (as validation does) drops it.
        if (key === '__proto__') return { path: [...path, key], message: 'is a key JavaScript objects cannot hold; rename it' };
        stack.push({ value: (current as Record<string, unknown>)[key], path: [...path, key] });
      }
    }
  }
  return undefined;
}

function numberIssue(value: number): string | undefined {
  if (!Number.isFinite(value)) return 'must be a finite number';
  if (Number.isInteger(value)) {
    if (!Number.isSafeInteger(value)) {
      return `${value} is beyond 2^53 - 1 (${Number.MAX_SAFE_INTEGER}), where JSON numbers lose precision; send it as a string`;
    }
    return undefined;
  }
  if (Math.abs(value) < DYNAMODB_MIN_MAGNITUDE) return `${value} is closer to 0 than DynamoDB numbers go (1E-130); send it as a string or 0`;
  return undefined;
}
