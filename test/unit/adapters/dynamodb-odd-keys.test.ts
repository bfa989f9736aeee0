/**
 * JSON whose objects have their own `constructor` key goes through the real marshaller (util-dynamodb) and
 * comes back as sent: the property the document client's OddKeysAsMaps step gives the store.
 */
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { withOddKeysAsMaps } from '../../../src/adapters/dynamodb';

const key = fc.oneof(fc.constantFrom('constructor', 'name', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'), fc.string({ maxLength: 4 }));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 5 }), fc.integer(), fc.boolean(), fc.constant(null), tie('object'), fc.array(tie('value'), { maxLength: 3 })),
  object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
})).object;

const options = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

it('refuses, as the marshaller alone, an object with a constructor key', () => {
  expect(() => marshall({ item: { constructor: { prototype: { a: 1 } } } }, options)).toThrow(/Unsupported type/);
});

it('stores and reads back any JSON with odd keys unchanged', () => {
  fc.assert(
    fc.property(json, (value) => {
      const item = { pk: 'JOB#x', job: { context: value } };
      const back = unmarshall(marshall(withOddKeysAsMaps(item), options), { wrapNumbers: (n: string) => Number(n) });
      expect(back).toEqual(item);
    }),
    { seed: 16, numRuns: 500 },
  );
});

it('leaves values without odd keys as they are, uncopied', () => {
  const item = { pk: 'JOB#x', job: { context: { a: [1, { b: 2 }] } } };
  expect(withOddKeysAsMaps(item)).toBe(item);
});
