/**
 * The middle runs of a report workflow: run k re-reads the data source, proves it is the data run 0
 * collected (same checksum), and validates its own slice. Re-reading instead of storing the data keeps
 * every run item small; the checksum keeps the slices of different days slices of one data set.
 */
import { logger } from '../common/logger';
import { PermanentError } from '../lib/errors';
import { checksum, sliceFor, validateRecordAt, type ReportType } from '../lib/records';
import type { StepContext, StepHandler } from '../lib/steps';
import type { CollectionManifest } from './collection';
import { DEFAULT_READ_LIMITS, readDataSet, redactUrl, workflowConfigOf, type DataSet, type ReadLimits } from './data-source';

/** What a run needs of collection's manifest to check the data against it. */
export type ManifestRef = Pick<CollectionManifest, 'records' | 'checksum'>;

function manifestOf(result: unknown): ManifestRef | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { records, checksum: sum } = result as Partial<Record<keyof CollectionManifest, unknown>>;
  return typeof records === 'number' && typeof sum === 'string' ? { records, checksum: sum } : undefined;
}

/**
 * The manifest the previous run handed on in the cursor (`lastResult`): collection's own result, or a
 * processing run's summary carrying it as `collected`. Read from run 0 only when the cursor has none (a
 * resumed execution starts without it).
 */
function carriedManifest(lastResult: unknown): ManifestRef | undefined {
  if (typeof lastResult !== 'object' || lastResult === null) return undefined;
  return manifestOf((lastResult as { collected?: unknown }).collected) ?? manifestOf(lastResult);
}

/** Collection's checksums before fingerprints (canonical JSON of every record) are 64 hex digits, nothing else. */
const LEGACY_CHECKSUM = /^[0-9a-f]{64}$/;

/** The data set's value to compare with a manifest's: its fingerprint, or for an older manifest the canonical checksum. */
function sumFor(manifest: ManifestRef, data: DataSet): string {
  return LEGACY_CHECKSUM.test(manifest.checksum) ? checksum(data.records) : data.fingerprint;
}

/**
 * Read the data source and check it against run 0's manifest (carried in the cursor, else read from the
 * ledger). PermanentError when the manifest is missing (collection failed or never ran) or the data
 * changed since: no retry brings either back.
 * @example const { records } = await readCollectedRecords(context, 'sample:analytics') // throws if changed
 */
export async function readCollectedRecords(
  context: Pick<StepContext, 'job' | 'history' | 'lastResult'>,
  dataSource: string,
  limits: ReadLimits = DEFAULT_READ_LIMITS,
): Promise<{ records: readonly unknown[]; manifest: ManifestRef }> {
  let manifest = carriedManifest(context.lastResult);
  if (!manifest) {
    const collection = await context.history.getRun(0);
    manifest = collection?.state === 'SUCCEEDED' ? manifestOf(collection.result) : undefined;
    if (!manifest) {
      throw new PermanentError(
        `job ${context.job.id}: the collection manifest (run 0) is missing` +
          (collection ? ` (run 0 is ${collection.state})` : ' (run 0 was never recorded)'),
      );
    }
  }
  const data = await readDataSet(dataSource, limits);
  const { records } = data;
  const sum = sumFor(manifest, data);
  if (sum !== manifest.checksum) {
    throw new PermanentError(
      `data source ${redactUrl(dataSource)} changed since collection: it had ${manifest.records} records ` +
        `(checksum ${manifest.checksum.slice(0, 12)}…), it now has ${records.length} (checksum ${sum.slice(0, 12)}…)`,
    );
  }
  return { records, manifest };
}

/**
 * Validate `records[from..to)` for a report type: how many there were and how many failed. The first few
 * reasons go to the log, so an error count in a report can be traced to records without storing them.
 * @example countErrors([{ id: '' }], 'weekly') // { recordsProcessed: 1, errors: 1 }
 */
export function countErrors(records: readonly unknown[], reportType: ReportType, from = 0, to = records.length): { recordsProcessed: number; errors: number } {
  const examples: string[] = [];
  let errors = 0;
  for (let i = from; i < to; i++) {
    const reason = validateRecordAt(records, i, reportType);
    if (reason === undefined) continue;
    errors++;
    if (examples.length < 5) examples.push(`record ${i}: ${reason}`);
  }
  if (errors > 0) logger.warn('invalid records', { errors, examples });
  return { recordsProcessed: to - from, errors };
}

/**
 * The processing step. Run k (the schedule's iteration) of a workflow of N runs is processing run k of
 * N − 2 and takes `sliceFor(records, N − 2, k)`.
 * @example await createProcessingStep()(context) // { result: { recordsProcessed: 1508, errors: 7, slice: [1508, 3017] } }
 */
export function createProcessingStep(limits: ReadLimits = DEFAULT_READ_LIMITS): StepHandler {
  return async (context) => {
    const { job, schedule } = context;
    const total = schedule.totalRuns;
    if (total === null || total < 3) {
      throw new PermanentError(
        `job ${job.id}: run ${schedule.iteration} is a processing run, but the workflow has ${total ?? 'no end and so no'} runs; processing needs 3 or more`,
      );
    }
    const config = workflowConfigOf(job);
    const { records, manifest } = await readCollectedRecords(context, config.dataSource, limits);
    const [from, to] = sliceFor(records.length, total - 2, schedule.iteration);
    const counts = countErrors(records, config.reportType, from, to);
    logger.info('processed slice', { jobId: job.id, iteration: schedule.iteration, from, to, ...counts });
    const result = { ...counts, slice: [from, to] };
    // The next run gets the manifest in its cursor and need not read run 0 for it; the stored result stays as it was.
    return { result, summary: { ...result, collected: { records: manifest.records, checksum: manifest.checksum } } };
  };
}

export const processingStep: StepHandler = createProcessingStep();
