/**
 * EventBridge Scheduler's 6-field cron, parsed and evaluated here (no cron library): the fields, ranges and
 * wildcards of the EventBridge Scheduler User Guide ("Schedule types on EventBridge Scheduler", cron
 * expressions), in any IANA time zone, with its daylight saving time rules:
 *  - "When time shifts forward in the Spring, your schedule invocation is skipped" if the cron falls on a
 *    local time that does not exist;
 *  - "When time shifts backwards in the Fall, your schedule runs only once and does not repeat its
 *    invocation": a local time the clock shows twice runs at its first occurrence only.
 *
 * An occurrence is a local wall time (year, month, day, hour, minute) that matches the fields and that the
 * zone's clock shows; its instant is the first one showing it. That mapping only grows with the wall time,
 * so the k-th occurrence after any point and the number of occurrences in any range are found by counting
 * wall times — a month or a day at a time, `|hours| × |minutes|` per matching day less the minutes a
 * spring-forward gap removes — never by stepping through earlier occurrences: the cost does not grow with
 * the run number.
 *
 * Cases the docs leave open, decided here (and in the README's "Schedule expressions" table):
 *  - `nW` is the weekday nearest day n within the same month: Saturday the 1st moves to Monday the 3rd,
 *    a Sunday that is the month's last day moves to Friday; a month without day n has no run.
 *  - `LW` is the last weekday of the month. `L` alone in day-of-week is its last day, Saturday (7).
 *  - `L`, `LW`, `nW`, `nL` and `n#k` stand alone in their field; a range must not end before it starts.
 *  - the year field's values are 1970-2199, so `*` ends after 2199.
 */
import { DAY_MS, MINUTE_MS, zoneOffsets, type ZoneOffsets } from './cron-zone';

export const FIRST_YEAR = 1970;
export const LAST_YEAR = 2199;
const FIRST_WALL = Date.UTC(FIRST_YEAR, 0, 1);
const END_WALL = Date.UTC(LAST_YEAR + 1, 0, 1);

export type DayOfMonth =
  | { kind: 'any' }
  | { kind: 'days'; days: number[] }
  | { kind: 'last' }
  | { kind: 'lastWeekday' }
  | { kind: 'nearestWeekday'; day: number };

/** Weekdays in EventBridge's numbering: 1 = Sunday … 7 = Saturday. */
export type DayOfWeek = { kind: 'any' } | { kind: 'days'; days: number[] } | { kind: 'last'; weekday: number } | { kind: 'nth'; weekday: number; n: number };

export interface CronSpec {
  minutes: number[];
  hours: number[];
  dayOfMonth: DayOfMonth;
  months: number[];
  dayOfWeek: DayOfWeek;
  years: number[];
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Whether `/` is among the field's wildcards (not in day-of-week). */
  steps: boolean;
}

const FIELDS = {
  minutes: { name: 'minutes', min: 0, max: 59, steps: true },
  hours: { name: 'hours', min: 0, max: 23, steps: true },
  dayOfMonth: { name: 'day-of-month', min: 1, max: 31, steps: true },
  month: { name: 'month', min: 1, max: 12, names: MONTH_NAMES, steps: true },
  dayOfWeek: { name: 'day-of-week', min: 1, max: 7, names: DAY_NAMES, steps: false },
  year: { name: 'year', min: FIRST_YEAR, max: LAST_YEAR, steps: true },
} satisfies Record<string, FieldRule>;

/** A field's own mistake, reported by the parser as `is not a valid cron: <message>`. */
export class CronFieldError extends Error {}

function value(text: string, rule: FieldRule): number {
  const named = rule.names?.indexOf(text.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + rule.min : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(n)) throw new CronFieldError(`${rule.name} "${text}" is not a number${rule.names ? ` or a name (${rule.names[0]}-${rule.names.at(-1)})` : ''}`);
  if (n < rule.min || n > rule.max) {
    throw new CronFieldError(`${rule.name} ${text} is outside ${rule.min}-${rule.max}${rule === FIELDS.dayOfWeek ? ' (1 = Sunday)' : ''}`);
  }
  return n;
}

/**
 * A field of `, - * /` items: `*`, `n`, `a-b`, `*\/s`, `a/s` (a, a+s, … up to the field's maximum: "1/10
 * … the 11th, 21st, and 31st minute, and so on"), `a-b/s`. Returns the sorted values.
 */
function listField(text: string, rule: FieldRule): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^([^/-]+)(?:-([^/]+))?(?:\/(.+))?$/.exec(item);
    if (!match) throw new CronFieldError(`${rule.name} "${item}" is not a value, a range a-b or a step a/b`);
    const [, from, to, step] = match as unknown as [string, string, string | undefined, string | undefined];
    if (step !== undefined && !rule.steps) throw new CronFieldError(`${rule.name} takes no / (its wildcards are , - * ? L #)`);
    const stepValue = step === undefined ? 1 : /^\d+$/.test(step) ? Number(step) : Number.NaN;
    if (!(stepValue >= 1 && stepValue <= rule.max - rule.min + 1)) throw new CronFieldError(`${rule.name} step "${step}" must be 1-${rule.max - rule.min + 1}`);
    let low: number;
    let high: number;
    if (from === '*') {
      if (to !== undefined) throw new CronFieldError(`${rule.name} "${item}": * takes no range`);
      [low, high] = [rule.min, rule.max];
    } else {
      low = value(from, rule);
      high = to !== undefined ? value(to, rule) : step !== undefined ? rule.max : low;
      if (high < low) throw new CronFieldError(`${rule.name} range ${item} ends before it starts`);
    }
    for (let v = low; v <= high; v += stepValue) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

function dayOfMonthField(text: string): DayOfMonth {
  if (text === '?' || text === '*') return { kind: 'any' };
  if (text === 'L') return { kind: 'last' };
  if (text === 'LW') return { kind: 'lastWeekday' };
  const nearest = /^(\d+)W$/.exec(text);
  if (nearest) return { kind: 'nearestWeekday', day: value(nearest[1]!, FIELDS.dayOfMonth) };
  if (/[LW]/.test(text)) throw new CronFieldError(`day-of-month "${text}": L, LW and nW (such as 15W) stand alone in the field`);
  return { kind: 'days', days: listField(text, FIELDS.dayOfMonth) };
}

function dayOfWeekField(text: string): DayOfWeek {
  if (text === '?' || text === '*') return { kind: 'any' };
  // "The L wildcard in the Day-of-month or Day-of-week fields specifies the last day of the month or week."
  if (text === 'L') return { kind: 'days', days: [7] };
  const last = /^(\w+?)L$/.exec(text);
  if (last) return { kind: 'last', weekday: value(last[1]!, FIELDS.dayOfWeek) };
  if (text.includes('#')) {
    const nth = /^(\w+)#(\d)$/.exec(text);
    if (!nth) throw new CronFieldError(`day-of-week "${text}": # takes one weekday and its instance 1-5, alone in the field (3#2 is the second Tuesday)`);
    const n = Number(nth[2]);
    if (n < 1 || n > 5) throw new CronFieldError(`day-of-week "${text}": the instance after # must be 1-5`);
    return { kind: 'nth', weekday: value(nth[1]!, FIELDS.dayOfWeek), n };
  }
  if (text.includes('L')) throw new CronFieldError(`day-of-week "${text}": L and nL (such as 6L) stand alone in the field`);
  return { kind: 'days', days: listField(text, FIELDS.dayOfWeek) };
}

/**
 * The six fields of `cron(minutes hours day-of-month month day-of-week year)`, or a CronFieldError.
 * @example parseCronFields(['0', '9', '?', '*', 'MON-FRI', '*']).dayOfWeek // { kind: 'days', days: [2, 3, 4, 5, 6] }
 */
export function parseCronFields(fields: readonly [string, string, string, string, string, string]): CronSpec {
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields;
  if (minutes === '?' || hours === '?' || month === '?' || year === '?') throw new CronFieldError('? is for day-of-month or day-of-week only');
  return {
    minutes: listField(minutes, FIELDS.minutes),
    hours: listField(hours, FIELDS.hours),
    dayOfMonth: dayOfMonthField(dayOfMonth),
    months: listField(month, FIELDS.month),
    dayOfWeek: dayOfWeekField(dayOfWeek),
    years: listField(year, FIELDS.year),
  };
}

// ---- evaluation ----------------------------------------------------------------------------------------

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** EventBridge weekday (1 = Sunday) of a date. */
function weekday(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

/** The days of a month that match the day fields, ascending. */
function matchingDays(spec: CronSpec, year: number, month: number): number[] {
  const length = daysInMonth(year, month);
  const first = weekday(year, month, 1);
  const weekdayOf = (day: number) => ((first - 1 + day - 1) % 7) + 1;
  const all = Array.from({ length }, (_, i) => i + 1);
  const dom = spec.dayOfMonth;
  const dow = spec.dayOfWeek;
  let days: number[];
  switch (dom.kind) {
    case 'any':
      days = all;
      break;
    case 'days':
      days = dom.days.filter((day) => day <= length);
      break;
    case 'last':
      days = [length];
      break;
    case 'lastWeekday': {
      const w = weekdayOf(length);
      days = [w === 7 ? length - 1 : w === 1 ? length - 2 : length];
      break;
    }
    case 'nearestWeekday': {
      // "3W specifies the weekday closest to the third day of the month", never leaving the month.
      const n = dom.day;
      if (n > length) {
        days = [];
        break;
      }
      const w = weekdayOf(n);
      if (w === 7) days = [n === 1 ? 3 : n - 1];
      else if (w === 1) days = [n === length ? n - 2 : n + 1];
      else days = [n];
      break;
    }
  }
  switch (dow.kind) {
    case 'any':
      return days;
    case 'days':
      return days.filter((day) => dow.days.includes(weekdayOf(day)));
    case 'last': {
      const lastDay = length - ((weekdayOf(length) - dow.weekday + 7) % 7);
      return days.filter((day) => day === lastDay);
    }
    case 'nth': {
      const day = 1 + ((dow.weekday - first + 7) % 7) + 7 * (dow.n - 1);
      return days.filter((d) => d === day);
    }
  }
}

/**
 * One cron in one zone: the wall-time arithmetic, with per-month caches (a spec is immutable once parsed).
 */
class CronInZone {
  private readonly perDay: number;
  /** Minutes of the day that match, ascending. */
  private readonly minutesOfDay: number[];
  private readonly monthDays = new Map<number, number[]>();
  private readonly years: Set<number>;
  private readonly months: Set<number>;

  constructor(
    private readonly spec: CronSpec,
    readonly zone: ZoneOffsets,
  ) {
    this.minutesOfDay = spec.hours.flatMap((hour) => spec.minutes.map((minute) => hour * 60 + minute));
    this.perDay = this.minutesOfDay.length;
    this.years = new Set(spec.years);
    this.months = new Set(spec.months);
  }

  private days(year: number, month: number): number[] {
    const key = year * 12 + month;
    let days = this.monthDays.get(key);
    if (!days) {
      days = this.years.has(year) && this.months.has(month) ? matchingDays(this.spec, year, month) : [];
      this.monthDays.set(key, days);
    }
    return days;
  }

  /** Matching wall times of a whole wall day that the clock shows. */
  private dayCount(dayIndex: number): number {
    const gaps = this.zone.gapsOfDay(dayIndex);
    if (gaps.length === 0) return this.perDay;
    const base = dayIndex * DAY_MS;
    return this.minutesOfDay.filter((m) => this.zone.exists(base + m * MINUTE_MS)).length;
  }

  /**
   * Walks matching wall times the clock shows, from `fromWall` (inclusive) to `toWall` (exclusive), and
   * stops at the one with index `n` (0-based). Returns it as `wall`, or how many there were as `count`.
   */
  scan(fromWall: number, toWall: number, n: number): { wall?: number; count: number } {
    let from = Math.max(FIRST_WALL, Math.ceil(fromWall / MINUTE_MS) * MINUTE_MS);
    const to = Math.min(END_WALL, toWall);
    let left = n;
    let count = 0;
    const start = new Date(from);
    let year = start.getUTCFullYear();
    let month = start.getUTCMonth() + 1;
    for (; year <= LAST_YEAR; year++, month = 1) {
      if (Date.UTC(year, 0, 1) >= to) break;
      if (!this.years.has(year)) continue;
      for (; month <= 12; month++) {
        const monthStart = Date.UTC(year, month - 1, 1);
        const monthEnd = Date.UTC(year, month, 1);
        if (monthStart >= to) return { count };
        if (monthEnd <= from) continue;
        const days = this.days(year, month);
        if (days.length === 0) continue;
        const whole = monthStart >= from && monthEnd <= to;
        if (whole) {
          let inMonth = days.length * this.perDay;
          const firstDay = monthStart / DAY_MS;
          for (const gapDay of this.zone.gapDaysBetween(firstDay, monthEnd / DAY_MS)) {
            if (days.includes(gapDay - firstDay + 1)) inMonth += this.dayCount(gapDay) - this.perDay;
          }
          if (inMonth <= left) {
            left -= inMonth;
            count += inMonth;
            continue;
          }
        }
        for (const day of days) {
          const dayStart = Date.UTC(year, month - 1, day);
          const dayIndex = dayStart / DAY_MS;
          if (dayStart + DAY_MS <= from) continue;
          if (dayStart >= to) return { count };
          if (dayStart >= from && dayStart + DAY_MS <= to) {
            const inDay = this.dayCount(dayIndex);
            if (inDay <= left) {
              left -= inDay;
              count += inDay;
              continue;
            }
          }
          for (const minute of this.minutesOfDay) {
            const wall = dayStart + minute * MINUTE_MS;
            if (wall < from) continue;
            if (wall >= to) return { count };
            if (!this.zone.exists(wall)) continue;
            if (left === 0) return { wall, count };
            left--;
            count++;
          }
        }
      }
      from = Date.UTC(year + 1, 0, 1);
    }
    return { count };
  }

  /** The wall time of the first occurrence whose instant is at or after `at`. */
  firstWallAtOrAfter(at: number): number | undefined {
    if (at >= END_WALL + DAY_MS) return undefined;
    // Every wall time before the one showing at `at` has its first instant before `at`; a later one can
    // too, if `at` falls in the second pass of an hour shown twice: those are passed over.
    let from = at < FIRST_WALL - DAY_MS ? FIRST_WALL : this.zone.wallOf(at);
    for (;;) {
      const { wall } = this.scan(from, END_WALL, 0);
      if (wall === undefined) return undefined;
      if (this.zone.firstInstant(wall)! >= at) return wall;
      from = wall + MINUTE_MS;
    }
  }
}

const evaluators = new WeakMap<CronSpec, Map<string, CronInZone>>();

function inZone(spec: CronSpec, timeZone: string): CronInZone {
  let byZone = evaluators.get(spec);
  if (!byZone) {
    byZone = new Map();
    evaluators.set(spec, byZone);
  }
  let evaluator = byZone.get(timeZone);
  if (!evaluator) {
    evaluator = new CronInZone(spec, zoneOffsets(timeZone));
    byZone.set(timeZone, evaluator);
  }
  return evaluator;
}

/**
 * The occurrence with index `n` (0-based) among those at or after `fromMs`, as an instant; undefined when
 * the cron has fewer (its years end in 2199 at the latest). Costs a walk over the months between, however
 * large n is.
 * @example nthCronRun(parseCronFields(['0', '9', '*', '*', '?', '*']), 'Europe/Berlin', Date.parse('2024-03-29T00:00:00Z'), 2) // Date.parse('2024-03-31T07:00:00Z')
 */
export function nthCronRun(spec: CronSpec, timeZone: string, fromMs: number, n: number): number | undefined {
  const cron = inZone(spec, timeZone);
  const first = cron.firstWallAtOrAfter(fromMs);
  if (first === undefined) return undefined;
  const { wall } = n === 0 ? { wall: first } : cron.scan(first, Number.POSITIVE_INFINITY, n);
  return wall === undefined ? undefined : cron.zone.firstInstant(wall);
}

/**
 * How many occurrences fall in [fromMs, toMs], counted a month or a day at a time.
 * @example countCronRuns(parseCronFields(['0', '0', '29', '2', '?', '*']), 'UTC', Date.parse('2024-01-01T00:00:00Z'), Date.parse('2199-12-31T23:59:59Z')) // 44
 */
export function countCronRuns(spec: CronSpec, timeZone: string, fromMs: number, toMs: number): number {
  if (toMs < fromMs) return 0;
  const cron = inZone(spec, timeZone);
  const first = cron.firstWallAtOrAfter(fromMs);
  if (first === undefined) return 0;
  const end = toMs === Number.POSITIVE_INFINITY ? undefined : cron.firstWallAtOrAfter(toMs + 1);
  return cron.scan(first, end ?? END_WALL, Number.POSITIVE_INFINITY).count;
}
