/**
 * Run 0 of a report workflow: read the data source once and store a manifest of it (count, checksum,
 * scheme). The data itself is never stored: a run item has a 400 KB limit and the data source stays
 * the source of truth; later runs re-read it (or find it in the process's cache while the source is
 * unchanged) and prove with the fingerprint that it is the same data.
 */
import { logger } from '../common/logger';
import { parseDataSource, validateRecordAt, type ReportType } from '../lib/records';
import type { StepHandler } from '../lib/steps';
import { DEFAULT_READ_LIMITS, readDataSet, workflowConfigOf, type ReadLimits } from './data-source';

/** What collection stores on run 0, and what processing and the report read back. */
export type CollectionManifest = {
  records: number;
  /**
   * The data set's fingerprint (src/steps/data-source.ts `DataSet`): SHA-256 of the raw bytes, or a sample's
   * name, seed and count. Manifests written before fingerprints hold a canonical-JSON SHA-256 of the records
   * (64 hex digits), which processing still checks the old way.
   */
  checksum: string;
  /** Seed 000 lists its sources; here it is the data source's scheme: "https", "file" or "sample". */
  sources: string[];
  /** How many records passed validation when collected, so a report can be sized before processing. */
  validAtCollection: number;
};

function validCount(records: readonly unknown[], reportType: ReportType): number {
  let valid = 0;
  for (let i = 0; i < records.length; i++) if (validateRecordAt(records, i, reportType) === undefined) valid++;
  return valid;
}

/**
 * The collection step, reading with the given limits.
 * @example const step = createCollectionStep({ timeoutMs: 2000, maxBytes: 1 << 20 }); await step(context)
 * // { result: { records: 7543, checksum: '…', sources: ['sample'], validAtCollection: 7505 } }
 */
export function createCollectionStep(limits: ReadLimits = DEFAULT_READ_LIMITS): StepHandler {
  return async ({ job }) => {
    const config = workflowConfigOf(job);
    const { records, fingerprint } = await readDataSet(config.dataSource, limits);
    const manifest: CollectionManifest = {
      records: records.length,
      checksum: fingerprint,
      sources: [parseDataSource(config.dataSource).scheme],
      validAtCollection: validCount(records, config.reportType),
    };
    logger.info('collected data source', { jobId: job.id, ...manifest });
    return { result: manifest };
  };
}

export const collectionStep: StepHandler = createCollectionStep();
