import fc from 'fast-check';
import { jsonBoundIssue, jsonDepth } from '../../../src/lib/json-bounds';

/** The depth by recursion: the second computation the iterative one is checked against. */
function depthByRecursion(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  return 1 + Math.max(0, ...Object.values(value).map(depthByRecursion));
}

const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i += 1) value = [value];
  return value;
};

describe('jsonDepth', () => {
  it('agrees with a recursive count on any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => jsonDepth(value) === depthByRecursion(value)), { seed: 16, numRuns: 500 });
  });

  it('measures 100,000 levels without overflowing the stack', () => {
    expect(jsonDepth(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`))).toBe(100_000);
  });
});

describe('jsonBoundIssue', () => {
  it('admits 32 levels for the whole item: 31 one map down, refuses 32', () => {
    expect(jsonBoundIssue(nested(31), 1)).toBeUndefined();
    expect(jsonBoundIssue(nested(32), 1)).toEqual({ path: [], message: 'nested 32 levels deep; at most 31 (DynamoDB allows 32 for the whole item, and this field sits 1 level down in it)' });
    expect(jsonBoundIssue(nested(31), 2)?.message).toMatch(/^nested 31 levels deep; at most 30/);
  });

  it.each([
    [{ n: 2 ** 53 }, ['n'], /beyond 2\^53 - 1/],
    [{ a: [1, -(2 ** 60)] }, ['a', 1], /beyond 2\^53 - 1/],
    [{ n: 1e-200 }, ['n'], /closer to 0 than DynamoDB numbers go/],
    [{ n: Infinity }, ['n'], /finite/],
    [JSON.parse('{"x":{"__proto__":1}}'), ['x', '__proto__'], /cannot hold/],
  ])('refuses %j at its path', (value, path, message) => {
    const issue = jsonBoundIssue(value, 1);
    expect(issue?.path).toEqual(path);
    expect(issue?.message).toMatch(message);
  });

  it.each([[{ n: 2 ** 53 - 1 }], [{ n: -(2 ** 53 - 1) }], [{ n: 0.1 }], [{ n: -0 }], [{ n: 1e-130 }], [{ constructor: { prototype: 1 } }], [{ '': 1 }]])('admits %j', (value) => {
    expect(jsonBoundIssue(value, 1)).toBeUndefined();
  });
});
