import { logger } from '../../../src/common/logger';
import { TransientError } from '../../../src/lib/errors';
import { generateSampleRecords, seedFromName, validateRecord } from '../../../src/lib/records';
import { createCollectionStep } from '../../../src/steps/collection';
import { DEFAULT_READ_LIMITS } from '../../../src/steps/data-source';
import { contextFor, LOOPBACK_GUARD, schedule, startServer, workflowJob } from './fixtures';

/** The test servers are on 127.0.0.1, which the webhook guard opens only when allow-listed. */
const loopback = { ...DEFAULT_READ_LIMITS, guard: LOOPBACK_GUARD };

beforeAll(() => logger.setLogLevel('SILENT'));

describe('collection step', () => {
  it('stores a manifest of a sample data source: count, checksum, scheme and valid count', async () => {
    const expected = generateSampleRecords('analytics', 7543, seedFromName('analytics'));
    const context = contextFor(workflowJob({ dataSource: 'analytics' }), schedule(0, 7, 'collection'));

    const { result } = await createCollectionStep()(context);

    expect(result).toEqual({
      records: 7543,
      checksum: `sample-v1:analytics:${seedFromName('analytics')}:7543`,
      sources: ['sample'],
      validAtCollection: expected.filter((r) => validateRecord(r, 'weekly') === undefined).length,
    });
    expect(result.validAtCollection).toBeLessThan(7543);
  });

  it('collects the default data source when the job has no config', async () => {
    const context = contextFor(workflowJob({}, { config: undefined }), schedule(0, 7, 'collection'));

    const { result } = await createCollectionStep()(context);

    expect(result).toMatchObject({ records: 7543, sources: ['sample'] });
  });

  it('stores no records, only the manifest', async () => {
    const context = contextFor(workflowJob({ dataSource: 'analytics' }), schedule(0, 7, 'collection'));

    const { result } = await createCollectionStep()(context);

    expect(JSON.stringify(result).length).toBeLessThan(500);
  });

  it('names the http scheme of an http data source', async () => {
    const server = await startServer((_, res) => res.end('[{"id":"a","timestamp":"2024-12-04T10:00:00Z","value":1,"category":"x"}]'));
    try {
      const context = contextFor(workflowJob({ dataSource: `${server.url}/r.json` }), schedule(0, 7, 'collection'));

      const { result } = await createCollectionStep(loopback)(context);

      expect(result).toMatchObject({ records: 1, sources: ['http'], validAtCollection: 1 });
    } finally {
      await server.close();
    }
  });

  it('lets a transient failure of the data source through for the state machine to retry', async () => {
    const server = await startServer((_, res) => {
      res.statusCode = 503;
      res.end();
    });
    try {
      const context = contextFor(workflowJob({ dataSource: `${server.url}/r.json` }), schedule(0, 7, 'collection'));

      await expect(createCollectionStep(loopback)(context)).rejects.toThrow(TransientError);
    } finally {
      await server.close();
    }
  });
});
