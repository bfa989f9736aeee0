/**
 * The middle runs of a report workflow: run k re-reads the data source, proves it is the data run 0
 * collected (same checksum), and validates its own slice. Re-reading instead of storing the data keeps
 * every run item small; the checksum keeps the slices of different days slices of one data set.
 */
import { logger } from '../common/logger';
import { PermanentError } from '../lib/errors';
import { checksum, sliceFor, validateRecord, type ReportType } from '../lib/records';
import type { StepContext, StepHandler } from '../lib/steps';
import type { CollectionManifest } from './collection';
import { DEFAULT_READ_LIMITS, readDataSource, redactUrl, workflowConfigOf, type ReadLimits } from './data-source';

function manifestOf(result: unknown): Pick<CollectionManifest, 'records' | 'checksum'> | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { records, checksum: sum } = result as Partial<Record<keyof CollectionManifest, unknown>>;
  return typeof records === 'number' && typeof sum === 'string' ? { records, checksum: sum } : undefined;
}

/**
 * Read the data source and check it against run 0's manifest. PermanentError when the manifest is
 * missing (collection failed or never ran) or the data changed since: no retry brings either back.
 * @example const records = await readCollectedRecords(context, 'sample:analytics') // throws if changed
 */
export async function readCollectedRecords(
  context: Pick<StepContext, 'job' | 'history'>,
  dataSource: string,
  limits: ReadLimits = DEFAULT_READ_LIMITS,
): Promise<unknown[]> {
  const collection = await context.history.getRun(0);
  const manifest = collection?.state === 'SUCCEEDED' ? manifestOf(collection.result) : undefined;
  if (!manifest) {
    throw new PermanentError(
      `job ${context.job.id}: the collection manifest (run 0) is missing` +
        (collection ? ` (run 0 is ${collection.state})` : ' (run 0 was never recorded)'),
    );
  }
  const records = await readDataSource(dataSource, limits);
  const sum = checksum(records);
  if (sum !== manifest.checksum) {
    throw new PermanentError(
      `data source ${redactUrl(dataSource)} changed since collection: it had ${manifest.records} records ` +
        `(checksum ${manifest.checksum.slice(0, 12)}…), it now has ${records.length} (checksum ${sum.slice(0, 12)}…)`,
    );
  }
  return records;
}

/**
 * Validate records for a report type: how many there were and how many failed. The first few reasons
 * go to the log, so an error count in a report can be traced to records without storing them.
 * @example countErrors([{ id: '' }], 'weekly', 0) // { recordsProcessed: 1, errors: 1 }
 */
export function countErrors(records: readonly unknown[], reportType: ReportType, firstIndex: number): { recordsProcessed: number; errors: number } {
  const examples: string[] = [];
  let errors = 0;
  records.forEach((record, i) => {
    const reason = validateRecord(record, reportType);
    if (reason === undefined) return;
    errors++;
    if (examples.length < 5) examples.push(`record ${firstIndex + i}: ${reason}`);
  });
  if (errors > 0) logger.warn('invalid records', { errors, examples });
  return { recordsProcessed: records.length, errors };
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
    const records = await readCollectedRecords(context, config.dataSource, limits);
    const [from, to] = sliceFor(records.length, total - 2, schedule.iteration);
    const counts = countErrors(records.slice(from, to), config.reportType, from);
    logger.info('processed slice', { jobId: job.id, iteration: schedule.iteration, from, to, ...counts });
    return { result: { ...counts, slice: [from, to] } };
  };
}

export const processingStep: StepHandler = createProcessingStep();
