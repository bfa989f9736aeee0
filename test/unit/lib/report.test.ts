import { buildFinalReport, reportNotification, successRate } from '../../../src/lib/report';
import type { RunRecord } from '../../../src/lib/store';
import { SEED_000_WEEK, succeededRun } from '../../support/runs';

/** Seed 000's week with its report run: collection, five processing days, the report. */
const week: RunRecord[] = [...SEED_000_WEEK, succeededRun(6, 'report', {})];

describe('buildFinalReport', () => {
  // Seed 000's whole report, every figure, is asserted where the report step builds it from this week
  // (test/unit/steps/report.test.ts): the step adds only its own run to what it passes here.
  it('orders the breakdown by day whatever order the runs come in', () => {
    const report = buildFinalReport({ jobId: 'weekly-1', reportType: 'weekly', runs: [...week].reverse(), generatedAt: 'x' });

    expect(report.dailyBreakdown.map((day) => day.day)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('shows a failed run with failed: true and its error, and leaves it out of the totals', () => {
    const failed: RunRecord = { ...succeededRun(3, 'processing', undefined), state: 'FAILED', error: { name: 'PermanentError', message: 'data changed' } };
    const runs = week.map((r) => (r.iteration === 3 ? failed : r));

    const report = buildFinalReport({ jobId: 'weekly-1', reportType: 'weekly', runs, generatedAt: 'x' });

    expect(report.dailyBreakdown[3]).toEqual({ day: 4, type: 'processing', records: 0, failed: true, error: 'PermanentError: data changed' });
    expect(report.summary).toEqual({ totalDays: 7, totalRecordsProcessed: 7543 - 1509, totalErrors: 38 - 6, successRate: '99.47%' });
  });

  it('counts the records of a report that processed them itself', () => {
    const runs = [succeededRun(0, 'collection', { records: 10 }), succeededRun(1, 'report', { recordsProcessed: 10, errors: 1 })];

    const report = buildFinalReport({ jobId: 'weekly-1', reportType: 'daily', runs, generatedAt: 'x' });

    expect(report.summary).toEqual({ totalDays: 2, totalRecordsProcessed: 10, totalErrors: 1, successRate: '90.00%' });
    expect(report.dailyBreakdown[1]).toEqual({ day: 2, type: 'report', records: 10, errors: 1 });
  });

  it('reads a malformed stored count as no count rather than failing the report', () => {
    const runs = [succeededRun(0, 'collection', 'oops'), succeededRun(1, 'processing', { recordsProcessed: -3, errors: 'many' })];

    const report = buildFinalReport({ jobId: 'weekly-1', reportType: 'weekly', runs, generatedAt: 'x' });

    expect(report.dailyBreakdown).toEqual([
      { day: 1, type: 'collection', records: 0 },
      { day: 2, type: 'processing', records: 0 },
    ]);
  });
});

describe('successRate', () => {
  it('matches seed 000 numbers', () => {
    expect(successRate(17543, 23)).toBe('99.87%');
  });

  it('never shows 100 % while a record failed, nor 0 % while one passed', () => {
    expect(successRate(1_000_000, 1)).toBe('99.99%');
    expect(successRate(1_000_000, 999_999)).toBe('0.01%');
    expect(successRate(5, 0)).toBe('100.00%');
    expect(successRate(5, 5)).toBe('0.00%');
  });

  it('is 0.00% when nothing was processed', () => {
    expect(successRate(0, 0)).toBe('0.00%');
  });
});

describe('reportNotification', () => {
  it('summarises the report in the subject and lists every day in the text', () => {
    const report = buildFinalReport({ jobId: 'weekly-1', reportType: 'weekly', runs: week, generatedAt: '2024-12-10T10:00:05.000Z' });

    const { subject, text } = reportNotification(report);

    expect(subject).toBe('weekly report for job weekly-1: 7543 records, 99.50% valid');
    expect(text.split('\n')).toEqual([
      'weekly report for job weekly-1',
      '7543 records processed over 7 days, 38 errors (99.50% valid)',
      '',
      'Day 1 collection: 7543 records',
      'Day 2 processing: 1508 records, 7 errors',
      'Day 3 processing: 1509 records, 9 errors',
      'Day 4 processing: 1509 records, 6 errors',
      'Day 5 processing: 1508 records, 8 errors',
      'Day 6 processing: 1509 records, 8 errors',
      'Day 7 report: 0 records',
      '',
      'Generated 2024-12-10T10:00:05.000Z',
    ]);
  });
});
