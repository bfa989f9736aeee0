/**
 * Run 0 of a report workflow: read the data source once and store a manifest of it (count, checksum,
 * scheme). The data itself is never stored: a run item has a 400 KB limit and the data source stays
 * the source of truth; later runs re-read it and prove with the checksum that it is the same data.
 */
import { logger } from '../common/logger';
import { checksum, parseDataSource, validateRecord } from '../lib/records';
import type { StepHandler } from '../lib/steps';
import { DEFAULT_READ_LIMITS, readDataSource, workflowConfigOf, type ReadLimits } from './data-source';

/** What collection stores on run 0, and what processing and the report read back. */
export type CollectionManifest = {
  records: number;
  checksum: string;
  /** Seed 000 lists its sources; here it is the data source's scheme: "https", "file" or "sample". */
  sources: string[];
  /** How many records passed validation when collected, so a report can be sized before processing. */
  validAtCollection: number;
};

/**
 * The collection step, reading with the given limits.
 * @example const step = createCollectionStep({ timeoutMs: 2000, maxBytes: 1 << 20 }); await step(context)
 * // { result: { records: 7543, checksum: '…', sources: ['sample'], validAtCollection: 7505 } }
 */
export function createCollectionStep(limits: ReadLimits = DEFAULT_READ_LIMITS): StepHandler {
  return async ({ job }) => {
    const config = workflowConfigOf(job);
    const records = await readDataSource(config.dataSource, limits);
    const manifest: CollectionManifest = {
      records: records.length,
      checksum: checksum(records),
      sources: [parseDataSource(config.dataSource).scheme],
      validAtCollection: records.filter((record) => validateRecord(record, config.reportType) === undefined).length,
    };
    logger.info('collected data source', { jobId: job.id, ...manifest });
    return { result: manifest };
  };
}

export const collectionStep: StepHandler = createCollectionStep();
