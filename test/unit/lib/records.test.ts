import { PermanentError } from '../../../src/lib/errors';
import {
  MONTHLY_VALUE_LIMIT,
  checksum,
  generateSampleRecords,
  parseDataSource,
  parseRecords,
  seedFromName,
  sliceFor,
  validateRecord,
} from '../../../src/lib/records';

const valid = { id: 'r-1', timestamp: '2024-12-04T10:00:00Z', value: 12.5, category: 'click' };

describe('validateRecord', () => {
  it('accepts a complete record for every report type', () => {
    for (const type of ['daily', 'weekly', 'monthly'] as const) expect(validateRecord(valid, type)).toBeUndefined();
  });

  it.each([
    ['a missing id', { ...valid, id: undefined }, 'id must be a non-empty string'],
    ['an empty id', { ...valid, id: '' }, 'id must be a non-empty string'],
    ['an unparsable timestamp', { ...valid, timestamp: 'not-a-timestamp' }, 'timestamp must be an ISO-8601 date-time'],
    ['a bare number as timestamp', { ...valid, timestamp: '1' }, 'timestamp must be an ISO-8601 date-time'],
    ['an impossible date', { ...valid, timestamp: '2024-13-45T10:00:00Z' }, 'timestamp must be an ISO-8601 date-time'],
    ['a negative value', { ...valid, value: -0.01 }, 'value must be a finite number >= 0'],
    ['a value given as text', { ...valid, value: '12' }, 'value must be a finite number >= 0'],
    ['an empty category', { ...valid, category: '' }, 'category must be a non-empty string'],
  ])('rejects %s with a reason naming the field', (_, record, reason) => {
    expect(validateRecord(record, 'weekly')).toBe(reason);
  });

  it('rejects a value that is not a record at all', () => {
    expect(validateRecord([valid], 'daily')).toBe('record must be an object');
    expect(validateRecord(null, 'daily')).toBe('record must be an object');
  });

  it('holds values above the limit against monthly reports only', () => {
    const big = { ...valid, value: MONTHLY_VALUE_LIMIT + 1 };

    expect(validateRecord(big, 'monthly')).toBe(`value must be at most ${MONTHLY_VALUE_LIMIT} in a monthly report`);
    expect(validateRecord(big, 'weekly')).toBeUndefined();
    expect(validateRecord({ ...valid, value: MONTHLY_VALUE_LIMIT }, 'monthly')).toBeUndefined();
  });
});

describe('checksum', () => {
  it('is the same for records whose keys are only reordered', () => {
    expect(checksum([{ a: 1, b: [1, { y: 2, x: 1 }] }])).toBe(checksum([{ b: [1, { x: 1, y: 2 }], a: 1 }]));
  });

  it('changes when a value, the order or the count of records changes', () => {
    const base = checksum([valid, { ...valid, id: 'r-2' }]);

    expect(checksum([valid, { ...valid, id: 'r-3' }])).not.toBe(base);
    expect(checksum([{ ...valid, id: 'r-2' }, valid])).not.toBe(base);
    expect(checksum([valid])).not.toBe(base);
  });

  it('is a sha256 hex digest', () => {
    expect(checksum([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'); // sha256 of ''
  });
});

describe('sliceFor', () => {
  it('splits records into contiguous slices that cover every record exactly once', () => {
    for (const [total, runs] of [[7543, 5], [10, 3], [2, 5], [0, 4], [1, 1]] as const) {
      const slices = Array.from({ length: runs }, (_, i) => sliceFor(total, runs, i + 1));

      expect(slices[0]?.[0]).toBe(0);
      expect(slices[runs - 1]?.[1]).toBe(total);
      slices.slice(1).forEach(([from], i) => expect(from).toBe(slices[i]?.[1]));
      const sizes = slices.map(([from, to]) => to - from);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('gives the documented slices for ten records over three runs', () => {
    expect([1, 2, 3].map((k) => sliceFor(10, 3, k))).toEqual([[0, 3], [3, 6], [6, 10]]);
  });

  it('refuses a run number outside 1..processingRuns', () => {
    expect(() => sliceFor(10, 3, 0)).toThrow(RangeError);
    expect(() => sliceFor(10, 3, 4)).toThrow('k must be a whole number from 1 to 3, got 4');
    expect(() => sliceFor(10, 0, 1)).toThrow(RangeError);
  });
});

describe('parseRecords', () => {
  it('reads a JSON array', () => {
    expect(parseRecords('[{"id":"a"},\n {"id":"b"}]')).toEqual([{ id: 'a' }, { id: 'b' }]);
  });

  it('reads NDJSON and ignores blank lines and a byte-order mark', () => {
    expect(parseRecords('\uFEFF{"id":"a"}\n\n  \r\n{"id":"b"}\r\n')).toEqual([{ id: 'a' }, { id: 'b' }]);
  });

  it('reads empty text as no records', () => {
    expect(parseRecords('  \n')).toEqual([]);
  });

  it('names the NDJSON line that is malformed', () => {
    const act = () => parseRecords('{"id":"a"}\n\n{"id": oops}\n');

    expect(act).toThrow(PermanentError);
    expect(act).toThrow(/^line 3 is not valid JSON/);
  });

  it('names the line of a malformed JSON array', () => {
    expect(() => parseRecords('[\n{"id":"a"},\n{"id":}\n]')).toThrow(new PermanentError('not a valid JSON array (line 3, column 7)'));
  });

  it('never quotes the text it could not parse', () => {
    expect(() => parseRecords('root:x:0:0:root:/root:/bin/bash\n')).toThrow(new PermanentError('line 1 is not valid JSON (column 1)'));
    expect(() => parseRecords('[\n"secret-token" oops]')).toThrow(new PermanentError('not a valid JSON array (line 2, column 16)'));
  });
});

describe('generateSampleRecords', () => {
  const records = generateSampleRecords('analytics', 7543, seedFromName('analytics'));

  it('gives the same records for the same name and seed', () => {
    expect(generateSampleRecords('analytics', 7543, seedFromName('analytics'))).toEqual(records);
  });

  it('gives different records for a different seed', () => {
    expect(checksum(generateSampleRecords('analytics', 100, 1))).not.toBe(checksum(generateSampleRecords('analytics', 100, 2)));
  });

  it('plants about half a percent of invalid records, of each kind of defect', () => {
    const reasons = records.map((record) => validateRecord(record, 'monthly')).filter((r) => r !== undefined);

    expect(reasons.length / records.length).toBeGreaterThan(0.002);
    expect(reasons.length / records.length).toBeLessThan(0.01);
    expect(new Set(reasons)).toEqual(
      new Set(['id must be a non-empty string', 'value must be a finite number >= 0', 'timestamp must be an ISO-8601 date-time']),
    );
  });
});

describe('parseDataSource', () => {
  it.each([
    ['analytics', { scheme: 'sample', name: 'analytics' }],
    ['sample:sales_2024', { scheme: 'sample', name: 'sales_2024' }],
    ['https://example.com/data.json', { scheme: 'https', url: 'https://example.com/data.json' }],
    ['http://127.0.0.1:8080/x', { scheme: 'http', url: 'http://127.0.0.1:8080/x' }],
    ['file:///tmp/records.ndjson', { scheme: 'file', url: 'file:///tmp/records.ndjson' }],
  ])('reads %s', (input, expected) => {
    expect(parseDataSource(input)).toEqual(expected);
  });

  it('refuses an unsupported scheme, naming it', () => {
    expect(() => parseDataSource('s3://bucket/key')).toThrow(new PermanentError('data source scheme s3: is not supported; use http(s)://…, file://…, sample:<name> or a bare name'));
  });

  it('refuses text that is no address', () => {
    expect(() => parseDataSource('my data')).toThrow(PermanentError);
    expect(() => parseDataSource('sample:../etc')).toThrow(PermanentError);
  });
});
