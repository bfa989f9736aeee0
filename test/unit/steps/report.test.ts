import { logger } from '../../../src/common/logger';
import { PermanentError } from '../../../src/lib/errors';
import type { FinalReport } from '../../../src/lib/report';
import { checksum, generateSampleRecords, seedFromName, validateRecord } from '../../../src/lib/records';
import type { RunRecord } from '../../../src/lib/store';
import { createReportStep } from '../../../src/steps/report';
import { SEED_000_WEEK } from '../../support/runs';
import { contextFor, recordingNotifier, schedule, succeededRun, workflowJob } from './fixtures';

beforeAll(() => logger.setLogLevel('SILENT'));

const week = [...SEED_000_WEEK];

describe('report step', () => {
  it('builds the final report from the finished runs and itself', async () => {
    const context = contextFor(workflowJob({ reportType: 'weekly' }), schedule(6, 7, 'report'), week);

    const { finalReport } = await createReportStep()(context);

    expect(finalReport).toEqual({
      jobId: 'weekly-1',
      reportType: 'weekly',
      summary: { totalDays: 7, totalRecordsProcessed: 7543, totalErrors: 38, successRate: '99.50%' },
      dailyBreakdown: [
        { day: 1, type: 'collection', records: 7543 },
        { day: 2, type: 'processing', records: 1508, errors: 7 },
        { day: 3, type: 'processing', records: 1509, errors: 9 },
        { day: 4, type: 'processing', records: 1509, errors: 6 },
        { day: 5, type: 'processing', records: 1508, errors: 8 },
        { day: 6, type: 'processing', records: 1509, errors: 8 },
        { day: 7, type: 'report', records: 0 },
      ],
      generatedAt: '2024-12-10T10:00:05.000Z',
    });
  });

  it('sends the report to the configured channel and email and returns the notification id', async () => {
    const notifier = recordingNotifier();
    const job = workflowJob({ notifyChannel: 'ops', notifyEmail: 'admin@example.com' });

    const { result } = await createReportStep()(contextFor(job, schedule(6, 7, 'report'), week, notifier));

    expect(notifier.sent).toHaveLength(1);
    expect(notifier.sent[0]).toMatchObject({
      channel: 'ops',
      email: 'admin@example.com',
      subject: 'weekly report for job weekly-1: 7543 records, 99.50% valid',
    });
    expect(notifier.sent[0]?.text).toContain('Day 2 processing: 1508 records, 7 errors');
    expect(result).toEqual({
      reportGenerated: true,
      reportGeneratedAt: '2024-12-10T10:00:05.000Z',
      notificationId: 'msg-1',
      notificationSentAt: '2024-12-10T10:00:05.000Z',
      channel: 'ops',
      totalDays: 7,
      totalRecordsProcessed: 7543,
      totalErrors: 38,
      successRate: '99.50%',
    });
  });

  it('sends to the reports channel when none is configured', async () => {
    const notifier = recordingNotifier();

    await createReportStep()(contextFor(workflowJob({}), schedule(6, 7, 'report'), week, notifier));

    expect(notifier.sent[0]?.channel).toBe('reports');
    expect(notifier.sent[0]?.email).toBeUndefined();
  });

  it('shows a failed processing run as failed in the report', async () => {
    const failed: RunRecord = { ...week[3]!, state: 'FAILED', result: undefined, error: { name: 'TransientError', message: 'timed out' } };
    const runs = week.map((run) => (run.iteration === 3 ? failed : run));

    const { finalReport } = await createReportStep()(contextFor(workflowJob({}), schedule(6, 7, 'report'), runs));

    expect(finalReport?.dailyBreakdown).toContainEqual({ day: 4, type: 'processing', records: 0, failed: true, error: 'TransientError: timed out' });
  });

  it('processes every record itself when the workflow is only collection and report', async () => {
    const sample = generateSampleRecords('analytics', 7543, seedFromName('analytics'));
    const invalid = sample.filter((r) => validateRecord(r, 'daily') !== undefined).length;
    const collection = succeededRun(0, 'collection', { records: 7543, checksum: checksum(sample), sources: ['sample'] });
    const job = workflowJob({ reportType: 'daily', dataSource: 'analytics' });

    const { result, finalReport } = await createReportStep()(contextFor(job, schedule(1, 2, 'report'), [collection]));

    expect(result).toMatchObject({ recordsProcessed: 7543, errors: invalid, totalRecordsProcessed: 7543, totalErrors: invalid });
    expect(finalReport?.dailyBreakdown).toEqual([
      { day: 1, type: 'collection', records: 7543 },
      { day: 2, type: 'report', records: 7543, errors: invalid },
    ]);
  });

  it('refuses to process itself when the data changed since collection', async () => {
    const collection = succeededRun(0, 'collection', { records: 7543, checksum: 'not-the-same', sources: ['sample'] });

    const act = createReportStep()(contextFor(workflowJob({ dataSource: 'analytics' }), schedule(1, 2, 'report'), [collection]));

    await expect(act).rejects.toThrow(PermanentError);
    await expect(act).rejects.toThrow('changed since collection');
  });

  it('reads and processes the data source itself in a one-run workflow', async () => {
    const job = workflowJob({ dataSource: 'analytics' }, { endDateTime: undefined, frequency: undefined });

    const { finalReport } = await createReportStep()(contextFor(job, schedule(0, 1, 'report'), []));

    expect(finalReport?.summary).toMatchObject({ totalDays: 1, totalRecordsProcessed: 7543 });
  });

  it('replaces its own earlier failed attempt rather than listing the day twice', async () => {
    const earlierAttempt: RunRecord = { ...succeededRun(6, 'report', undefined), state: 'FAILED', error: { name: 'TransientError', message: 'SNS down' } };

    const { finalReport } = await createReportStep()(contextFor(workflowJob({}), schedule(6, 7, 'report'), [...week, earlierAttempt]));

    // The step's return type is the stored JSON; the shape is what buildFinalReport produced.
    const { dailyBreakdown } = finalReport as FinalReport;
    expect(dailyBreakdown.filter((day) => day.day === 7)).toEqual([{ day: 7, type: 'report', records: 0 }]);
  });
});
