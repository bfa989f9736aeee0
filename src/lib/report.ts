/**
 * The seed-000 `finalReport`, computed from the runs' stored results alone: the report step needs no
 * data of its own, only the manifest (collection) and the counts (processing) the runs left behind.
 */
import type { JsonValue } from './json';
import type { ReportType } from './records';
import type { RunRecord } from './store';

export type DayType = 'collection' | 'processing' | 'report';

/** One run of the workflow, a "day" in seed 000's words. */
export type DayBreakdown = {
  day: number;
  type: DayType;
  /** Collection: records found; processing (and a report that processed): records validated. */
  records: number;
  errors?: number;
  failed?: true;
  /** Why a failed run failed. */
  error?: string;
};

export type FinalReport = {
  jobId: string;
  reportType: ReportType;
  summary: {
    totalDays: number;
    totalRecordsProcessed: number;
    totalErrors: number;
    /** Share of processed records that were valid, two decimals, such as "99.87%". */
    successRate: string;
  };
  dailyBreakdown: DayBreakdown[];
  generatedAt: string;
};

export interface FinalReportInput {
  jobId: string;
  reportType: ReportType;
  /** The workflow's runs, the report run included; order does not matter. */
  runs: readonly RunRecord[];
  generatedAt: string;
}

/**
 * A count from a stored result, or undefined when it is not there. A malformed count reads as absent
 * rather than failing: one odd result should not cost the report at the end of a week-long workflow.
 */
function countIn(result: JsonValue | undefined, key: string): number | undefined {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return undefined;
  const value = result[key];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Seed 000 prints two decimals ("99.87%"). Rounding may not claim 100 % while a record failed, nor 0 %
 * while one passed, so those two ends are held one step inside.
 * @example successRate(17543, 23) // '99.87%'
 */
export function successRate(processed: number, errors: number): string {
  if (processed <= 0) return '0.00%';
  const percent = ((processed - errors) / processed) * 100;
  if (errors > 0 && percent >= 99.995) return '99.99%';
  if (errors < processed && percent < 0.005) return '0.01%';
  return `${percent.toFixed(2)}%`;
}

type WorkflowRun = RunRecord & { phase: DayType };

function dayOf(run: WorkflowRun): DayBreakdown {
  const day: DayBreakdown = { day: run.iteration + 1, type: run.phase, records: 0 };
  if (run.state !== 'SUCCEEDED') {
    day.failed = true;
    if (run.error) day.error = `${run.error.name}: ${run.error.message}`;
    return day;
  }
  if (run.phase === 'collection') {
    day.records = countIn(run.result, 'records') ?? 0;
    return day;
  }
  // A report run carries counts only when it processed the records itself (a workflow without
  // processing runs); otherwise it shows 0 records so the totals count each record once.
  day.records = countIn(run.result, 'recordsProcessed') ?? 0;
  const errors = countIn(run.result, 'errors');
  if (errors !== undefined) day.errors = errors;
  return day;
}

/**
 * Build the final report from the workflow's runs.
 *
 * `totalRecordsProcessed` and `totalErrors` add up processing (and a self-processing report): each record
 * is validated once, in one slice. Collection only counts the records, so its `records` is shown in the
 * breakdown but not added again. A run that did not succeed shows `failed: true` and 0 records.
 * `totalDays` is the last run's day.
 * @example buildFinalReport({ jobId: 'weekly', reportType: 'weekly', runs, generatedAt: '2024-12-11T10:00:00.000Z' })
 * // { jobId: 'weekly', summary: { totalDays: 7, totalRecordsProcessed: 7543, totalErrors: 38, successRate: '99.50%' }, … }
 */
export function buildFinalReport(input: FinalReportInput): FinalReport {
  const dailyBreakdown = input.runs
    .filter((run): run is WorkflowRun => run.phase !== 'action')
    .sort((a, b) => a.iteration - b.iteration)
    .map(dayOf);
  let totalRecordsProcessed = 0;
  let totalErrors = 0;
  for (const day of dailyBreakdown) {
    if (day.type === 'collection') continue;
    totalRecordsProcessed += day.records;
    totalErrors += day.errors ?? 0;
  }
  return {
    jobId: input.jobId,
    reportType: input.reportType,
    summary: {
      totalDays: dailyBreakdown.reduce((last, day) => Math.max(last, day.day), 0),
      totalRecordsProcessed,
      totalErrors,
      successRate: successRate(totalRecordsProcessed, totalErrors),
    },
    dailyBreakdown,
    generatedAt: input.generatedAt,
  };
}

function describeDay(day: DayBreakdown): string {
  const label = `Day ${day.day} ${day.type}`;
  if (day.failed) return `${label}: FAILED${day.error ? ` (${day.error})` : ''}`;
  return `${label}: ${day.records} records${day.errors === undefined ? '' : `, ${day.errors} errors`}`;
}

/**
 * The notification that announces a final report: a one-line subject and a plain-text body a person
 * reads in a mail client or a chat channel.
 * @example reportNotification(report).subject // 'weekly report for job weekly-1: 7543 records, 99.50% valid'
 */
export function reportNotification(report: FinalReport): { subject: string; text: string } {
  const { summary } = report;
  const failedDays = report.dailyBreakdown.filter((day) => day.failed).length;
  return {
    subject: `${report.reportType} report for job ${report.jobId}: ${summary.totalRecordsProcessed} records, ${summary.successRate} valid`,
    text: [
      `${report.reportType} report for job ${report.jobId}`,
      `${summary.totalRecordsProcessed} records processed over ${summary.totalDays} days, ${summary.totalErrors} errors (${summary.successRate} valid)` +
        (failedDays > 0 ? `; ${failedDays} runs failed` : ''),
      '',
      ...report.dailyBreakdown.map(describeDay),
      '',
      `Generated ${report.generatedAt}`,
    ].join('\n'),
  };
}
