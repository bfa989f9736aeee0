import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FilesDir } from '../../../src/adapters/files-dir';
import { logger } from '../../../src/common/logger';
import { PermanentError } from '../../../src/lib/errors';
import { checksum, generateSampleRecords, seedFromName, sliceFor, validateRecord } from '../../../src/lib/records';
import type { RunRecord } from '../../../src/lib/store';
import { DEFAULT_READ_LIMITS } from '../../../src/steps/data-source';
import { createCollectionStep } from '../../../src/steps/collection';
import { createProcessingStep } from '../../../src/steps/processing';
import { contextFor, schedule, succeededRun, workflowJob } from './fixtures';

beforeAll(() => logger.setLogLevel('SILENT'));

const sample = generateSampleRecords('analytics', 7543, seedFromName('analytics'));
const manifest = succeededRun(0, 'collection', { records: 7543, checksum: checksum(sample), sources: ['sample'], validAtCollection: 0 });
const job = workflowJob({ dataSource: 'analytics' });

describe('processing step', () => {
  it('validates its own slice of the collected records', async () => {
    const [from, to] = sliceFor(7543, 5, 2);
    const expectedErrors = sample.slice(from, to).filter((r) => validateRecord(r, 'weekly') !== undefined).length;

    const { result } = await createProcessingStep()(contextFor(job, schedule(2, 7, 'processing'), [manifest]));

    expect(result).toEqual({ recordsProcessed: to - from, errors: expectedErrors, slice: [from, to] });
  });

  it('covers every record exactly once over the processing runs of a week, counting all invalid ones', async () => {
    const step = createProcessingStep();
    const results = [];
    for (let k = 1; k <= 5; k++) results.push((await step(contextFor(job, schedule(k, 7, 'processing'), [manifest]))).result);

    expect(results.reduce((sum, r) => sum + Number(r.recordsProcessed), 0)).toBe(7543);
    expect(results.reduce((sum, r) => sum + Number(r.errors), 0)).toBe(sample.filter((r) => validateRecord(r, 'weekly') !== undefined).length);
    expect(results.map((r) => r.slice)).toEqual([[0, 1508], [1508, 3017], [3017, 4525], [4525, 6034], [6034, 7543]]);
  });

  it('refuses to run when the collection manifest is missing', async () => {
    const act = createProcessingStep()(contextFor(job, schedule(1, 7, 'processing'), []));

    await expect(act).rejects.toThrow(PermanentError);
    await expect(act).rejects.toThrow('job weekly-1: the collection manifest (run 0) is missing (run 0 was never recorded)');
  });

  it('refuses to run when the collection run failed', async () => {
    const failed: RunRecord = { ...manifest, state: 'FAILED', result: undefined, error: { name: 'TransientError', message: 'timeout' } };

    await expect(createProcessingStep()(contextFor(job, schedule(1, 7, 'processing'), [failed]))).rejects.toThrow('(run 0 is FAILED)');
  });

  it('refuses to run a workflow too short to have processing runs', async () => {
    await expect(createProcessingStep()(contextFor(job, schedule(1, 2, 'processing'), [manifest]))).rejects.toThrow(PermanentError);
  });

  it('takes the manifest the cursor carries and hands it on, without reading run 0', async () => {
    const collected = (await createCollectionStep()(contextFor(job, schedule(0, 7, 'collection')))).result;
    const step = createProcessingStep();
    let lastResult: unknown = collected;
    const results = [];
    for (let k = 1; k <= 5; k++) {
      // No runs in the history: a read of run 0 would fail the run.
      const outcome = await step({ ...contextFor(job, schedule(k, 7, 'processing'), []), lastResult: lastResult as never });
      results.push(outcome.result);
      lastResult = outcome.summary;
    }

    expect(results.map((r) => r.slice)).toEqual([[0, 1508], [1508, 3017], [3017, 4525], [4525, 6034], [6034, 7543]]);
    expect(lastResult).toMatchObject({ collected: { records: 7543, checksum: collected.checksum } });
    // What is stored on the run item is the counts only.
    expect(results[0]).not.toHaveProperty('collected');
  });

  it('refuses data whose fingerprint is not the one the carried manifest names', async () => {
    const carried = { recordsProcessed: 1508, errors: 7, slice: [0, 1508], collected: { records: 7543, checksum: 'sample-v1:other:1:7543' } };

    const act = createProcessingStep()({ ...contextFor(job, schedule(2, 7, 'processing'), [manifest]), lastResult: carried });

    await expect(act).rejects.toThrow(/changed since collection: it had 7543 records \(checksum sample-v1:ot…\)/);
  });

  describe('with a file data source', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'processing-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('refuses to run when the data changed since collection', async () => {
      const path = join(dir, 'records.ndjson');
      const collected = sample.slice(0, 10);
      await writeFile(path, collected.map((r) => JSON.stringify(r)).join('\n'));
      const fileJob = workflowJob({ dataSource: pathToFileURL(path).href });
      const collectedRun = succeededRun(0, 'collection', { records: 10, checksum: checksum(collected), sources: ['file'] });
      await writeFile(path, [...collected, sample[10]].map((r) => JSON.stringify(r)).join('\n'));

      const files = await FilesDir.open(dir, []);
      const act = createProcessingStep({ ...DEFAULT_READ_LIMITS, files })(contextFor(fileJob, schedule(1, 7, 'processing'), [collectedRun]));

      await expect(act).rejects.toThrow(PermanentError);
      await expect(act).rejects.toThrow(/changed since collection: it had 10 records \(checksum [0-9a-f]{12}…\), it now has 11/);
    });

    it('fingerprints the bytes at collection and refuses a processing run after the file changed, even by one byte of the same length', async () => {
      const path = join(dir, 'records.ndjson');
      const lines = sample.slice(0, 12).map((r) => JSON.stringify(r));
      await writeFile(path, lines.join('\n'));
      const fileJob = workflowJob({ dataSource: pathToFileURL(path).href });
      // file: sources are read only inside the files folder (--files-dir).
      const limits = { ...DEFAULT_READ_LIMITS, files: await FilesDir.open(dir, []) };
      const collected = (await createCollectionStep(limits)(contextFor(fileJob, schedule(0, 7, 'collection')))).result;
      const collectedRun = succeededRun(0, 'collection', collected);
      // Read from the cache: the same file, unchanged.
      const first = await createProcessingStep(limits)(contextFor(fileJob, schedule(1, 7, 'processing'), [collectedRun]));
      expect(first.result).toMatchObject({ recordsProcessed: 2, slice: [0, 2] });

      // Same size, other bytes: a value's digit changed.
      const changed = lines.join('\n').replace(/"value":(\d)/, (_m, d: string) => `"value":${(Number(d) + 1) % 10}`);
      expect(changed.length).toBe(lines.join('\n').length);
      await writeFile(path, changed);
      const act = createProcessingStep(limits)(contextFor(fileJob, schedule(2, 7, 'processing'), [collectedRun]));

      await expect(act).rejects.toThrow(/changed since collection: it had 12 records \(checksum sha256:/);
    });
  });
});
