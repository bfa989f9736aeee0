/**
 * The last run of a report workflow: build seed 000's final report from the runs' stored results and
 * announce it. A workflow without processing runs (two runs, or a one-off) has nobody else to validate
 * its records, so the report step does it itself before reporting.
 */
import { logger } from '../common/logger';
import { PermanentError } from '../lib/errors';
import type { JsonObject } from '../lib/json';
import { buildFinalReport, reportNotification } from '../lib/report';
import type { StepContext, StepHandler } from '../lib/steps';
import type { RunRecord } from '../lib/store';
import { DEFAULT_READ_LIMITS, readDataSource, workflowConfigOf, type ReadLimits } from './data-source';
import { countErrors, readCollectedRecords } from './processing';

/** Counts of a report run that validated the records itself; empty when processing runs did. */
async function processWithoutProcessingRuns(context: StepContext, totalRuns: number, limits: ReadLimits): Promise<JsonObject> {
  if (totalRuns > 2) return {};
  const config = workflowConfigOf(context.job);
  // A one-off workflow has no collection run, so no manifest to hold the data to.
  const records =
    totalRuns === 2
      ? (await readCollectedRecords(context, config.dataSource, limits)).records
      : await readDataSource(config.dataSource, limits);
  return countErrors(records, config.reportType);
}

/**
 * The report step: result `{ reportGenerated: true, notificationId, channel, totalRecordsProcessed,
 * totalErrors, successRate }` (plus `recordsProcessed` and `errors` when it processed the records itself)
 * and the `finalReport`.
 * @example const { finalReport } = await createReportStep()(context) // finalReport.summary.successRate === '99.50%'
 */
export function createReportStep(limits: ReadLimits = DEFAULT_READ_LIMITS): StepHandler {
  return async (context) => {
    const { job, schedule, notifier } = context;
    if (schedule.totalRuns === null) {
      throw new PermanentError(`job ${job.id}: a report needs a workflow with an end, this one has none`);
    }
    const config = workflowConfigOf(job);
    const own = await processWithoutProcessingRuns(context, schedule.totalRuns, limits);
    const startedAt = context.now().toISOString();
    const self: RunRecord = {
      jobId: job.id,
      kind: 'live',
      index: schedule.iteration,
      iteration: schedule.iteration,
      phase: 'report',
      plannedAt: schedule.runAt ?? startedAt,
      startedAt,
      attempts: context.attempt,
      state: 'SUCCEEDED',
      result: own,
    };
    // A retried attempt may find its own earlier failure among the finished runs; this attempt replaces it.
    const earlier = (await context.history.finishedRuns()).filter((run) => run.iteration !== schedule.iteration);
    const report = buildFinalReport({ jobId: job.id, reportType: config.reportType, runs: [...earlier, self], generatedAt: startedAt });

    const channel = config.notifyChannel ?? 'reports';
    const notification = reportNotification(report);
    // A triggered report comes before the job's end: it says so, and the final report still follows.
    const subject = context.extra ? `Interim ${notification.subject}` : notification.subject;
    const { messageId } = await notifier.publish({ channel, subject, text: notification.text, email: config.notifyEmail });
    const notificationSentAt = context.now().toISOString();
    logger.info('report sent', { jobId: job.id, messageId, channel, ...report.summary });

    return {
      result: {
        reportGenerated: true,
        reportGeneratedAt: report.generatedAt,
        notificationId: messageId,
        notificationSentAt,
        channel,
        ...own,
        ...report.summary,
      },
      finalReport: report,
    };
  };
}

export const reportStep: StepHandler = createReportStep();
