/**
 * EventBridge Scheduler's schedule expressions, as users already write them:
 * `rate(5 minutes)` and the 6-field `cron(minutes hours day-of-month month day-of-week year)`.
 *
 * A rate becomes a frequency (the calendar math of src/lib/schedule.ts applies). A cron is evaluated by
 * cron-parser in the job's time zone with EventBridge's DST behaviour: a local time that does not exist
 * (spring forward) is skipped, a local time that happens twice (fall back) runs once, at its first
 * occurrence.
 */
import { CronExpressionParser, type CronExpression } from 'cron-parser';
import type { FieldIssue } from './errors';

export type ParsedExpression =
  | { kind: 'rate'; frequency: { minutes?: number; hours?: number; days?: number } }
  | { kind: 'cron'; fields: string; years: YearFilter };

/** EventBridge's year field: `*`, a year, a range, or a list of those. */
type YearFilter = { any: true } | { any: false; ranges: Array<[number, number]> };

const RATE = /^rate\((\d{1,7}) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;
const DOW_NAMES = /^(SUN|MON|TUE|WED|THU|FRI|SAT)$/i;

/**
 * EventBridge numbers days of the week 1-7 from Sunday; cron-parser 0-6 from Sunday. Names pass as
 * they are; `#` (nth weekday) and `L` keep their suffixes.
 */
function dayOfWeek(field: string): string {
  return field.replace(/(^|[,-])(\d)(?=$|[,#L-])/g, (_m, sep: string, digit: string) => {
    const n = Number(digit);
    if (n < 1 || n > 7) throw new RangeError(`day-of-week ${n} is outside 1-7 (1 = Sunday)`);
    return `${sep}${n - 1}`;
  });
}

function yearFilter(field: string): YearFilter {
  if (field === '*' || field === '?') return { any: true };
  const ranges = field.split(',').map((part): [number, number] => {
    const match = /^(\d{4})(?:-(\d{4}))?$/.exec(part);
    if (!match) throw new RangeError(`year "${part}" must be a year, a range such as 2025-2027, or *`);
    const from = Number(match[1]);
    const to = Number(match[2] ?? match[1]);
    if (to < from) throw new RangeError(`year range ${part} ends before it starts`);
    return [from, to];
  });
  return { any: false, ranges };
}

/**
 * Parse an expression, or say what is wrong with it.
 * @example parseScheduleExpression('cron(0 9 * * ? *)') // { kind: 'cron', fields: '0 9 * * *', years: { any: true } }
 * @example parseScheduleExpression('rate(5 minutes)') // { kind: 'rate', frequency: { minutes: 5 } }
 */
export function parseScheduleExpression(expression: string): ParsedExpression | FieldIssue {
  const rate = RATE.exec(expression.trim());
  if (rate) {
    const value = Number(rate[1]);
    if (value < 1) return { field: 'scheduleExpression', message: 'a rate must be at least 1' };
    const unit = rate[2]!.replace(/s$/, '');
    if (value === 1 !== (rate[2] === unit)) {
      return { field: 'scheduleExpression', message: `write rate(1 ${unit}) and rate(${value === 1 ? 2 : value} ${unit}s): EventBridge requires the singular for 1` };
    }
    return { kind: 'rate', frequency: { [`${unit}s`]: value } };
  }
  const cron = CRON.exec(expression.trim());
  if (!cron) {
    return { field: 'scheduleExpression', message: 'must be rate(<n> minutes|hours|days) or cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)' };
  }
  const parts = cron[1]!.trim().split(/\s+/);
  if (parts.length !== 6) return { field: 'scheduleExpression', message: `a cron has 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}` };
  const [minutes, hours, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    return { field: 'scheduleExpression', message: 'exactly one of day-of-month and day-of-week must be ? (as in EventBridge)' };
  }
  try {
    const weekday = dow === '?' ? '*' : DOW_NAMES.test(dow) ? dow : dayOfWeek(dow);
    const fields = [minutes, hours, dom === '?' ? '*' : dom, month, weekday].join(' ');
    CronExpressionParser.parse(fields, { tz: 'UTC' });
    return { kind: 'cron', fields, years: yearFilter(year) };
  } catch (error) {
    return { field: 'scheduleExpression', message: `is not a valid cron: ${(error as Error).message}` };
  }
}

function yearOf(ms: number, timeZone: string): number {
  return Number(new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric' }).format(ms));
}

/**
 * Occurrences of a cron from `fromMs` on (inclusive), in `timeZone`, EventBridge's DST rules applied.
 * Iterates lazily: callers take what they need.
 */
export function* cronOccurrences(parsed: Extract<ParsedExpression, { kind: 'cron' }>, fromMs: number, timeZone: string): Generator<number> {
  // cron-parser's next() is strictly after currentDate; start a millisecond before to include fromMs.
  const iterator: CronExpression = CronExpressionParser.parse(parsed.fields, { currentDate: new Date(fromMs - 1), tz: timeZone });
  for (let guard = 0; guard < 10_000_000 && iterator.hasNext(); guard++) {
    const next = iterator.next().getTime();
    // A time moved forward out of the spring gap no longer matches its own fields: EventBridge skips it.
    if (!iterator.includesDate(new Date(next))) continue;
    if (!parsed.years.any) {
      const year = yearOf(next, timeZone);
      if (parsed.years.ranges.every(([, to]) => year > to)) return;
      if (!parsed.years.ranges.some(([from, to]) => year >= from && year <= to)) continue;
    }
    yield next;
  }
}
