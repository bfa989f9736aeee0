/**
 * EventBridge Scheduler's schedule expressions, as users already write them:
 * `rate(5 minutes)` and the 6-field `cron(minutes hours day-of-month month day-of-week year)`.
 *
 * A rate becomes an absolute frequency: "days represents a 24-hour duration on the clock", so
 * `rate(N days)` is N × 24 hours, not N calendar days. A cron is parsed and evaluated by src/lib/cron.ts in
 * the job's time zone with EventBridge Scheduler's daylight saving time rules.
 */
import { CronFieldError, nthCronRun, parseCronFields, type CronSpec } from './cron';
import type { FieldIssue } from './errors';

export type ParsedExpression =
  | { kind: 'rate'; frequency: { minutes?: number; hours?: number } }
  | { kind: 'cron'; spec: CronSpec };

const RATE = /^rate\((\d{1,7}) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;

/**
 * Parse an expression, or say what is wrong with it.
 * @example parseScheduleExpression('cron(0 9 * * ? *)') // { kind: 'cron', spec: { minutes: [0], hours: [9], … } }
 * @example parseScheduleExpression('rate(5 minutes)') // { kind: 'rate', frequency: { minutes: 5 } }
 * @example parseScheduleExpression('rate(2 days)') // { kind: 'rate', frequency: { hours: 48 } }
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
    // Hours and minutes are absolute in a frequency; a rate's day is 24 of them, whatever the zone does.
    return { kind: 'rate', frequency: unit === 'day' ? { hours: 24 * value } : { [`${unit}s`]: value } };
  }
  const cron = CRON.exec(expression.trim());
  if (!cron) {
    return { field: 'scheduleExpression', message: 'must be rate(<n> minutes|hours|days) or cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)' };
  }
  const parts = cron[1]!.trim().split(/\s+/);
  if (parts.length !== 6) return { field: 'scheduleExpression', message: `a cron has 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}` };
  const fields = parts as [string, string, string, string, string, string];
  if ((fields[2] === '?') === (fields[4] === '?')) {
    return { field: 'scheduleExpression', message: 'exactly one of day-of-month and day-of-week must be ? (as in EventBridge)' };
  }
  try {
    return { kind: 'cron', spec: parseCronFields(fields) };
  } catch (error) {
    if (!(error instanceof CronFieldError)) throw error;
    return { field: 'scheduleExpression', message: `is not a valid cron: ${error.message}` };
  }
}

/**
 * Occurrences of a cron from `fromMs` on (inclusive), in `timeZone`, EventBridge's DST rules applied.
 * Iterates lazily: callers take what they need; each step costs the same however far it is from the start.
 */
export function* cronOccurrences(parsed: Extract<ParsedExpression, { kind: 'cron' }>, fromMs: number, timeZone: string): Generator<number> {
  let at = nthCronRun(parsed.spec, timeZone, fromMs, 0);
  while (at !== undefined) {
    yield at;
    at = nthCronRun(parsed.spec, timeZone, at + 1, 0);
  }
}
