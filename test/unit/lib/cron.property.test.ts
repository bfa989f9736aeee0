/**
 * Properties of the cron evaluator against a second, independent computation: a brute force that walks
 * every UTC minute of a short span, reads the zone's wall clock from Intl (formatToParts, not the offset
 * tables of src/lib/cron-zone.ts), and keeps a minute when its wall time matches predicates written from
 * the docs' sentences — EventBridge Scheduler's DST rules included: a wall time the clock shows twice
 * matches at its first occurrence only ("runs only once and does not repeat its invocation"), and one it
 * never shows never matches ("your schedule invocation is skipped").
 *
 * Zones: every one Intl lists. Spans: two days around one of the zone's offset changes (or any two days
 * when it has none). Bounded for CI's 2 cores: fixed seeds, ~150 cases each.
 */
import fc from 'fast-check';
import { countCronRuns, nthCronRun } from '../../../src/lib/cron';
import { ZoneOffsets } from '../../../src/lib/cron-zone';
import { parseScheduleExpression } from '../../../src/lib/schedule-expression';

const MINUTE = 60_000;
const DAY = 86_400_000;
const ZONES = Intl.supportedValuesOf('timeZone');

/** A field as text, and the predicate the oracle uses for it (its own reading of the docs). */
interface Field {
  text: string;
  matches: (value: number) => boolean;
}
const range = (from: number, to: number, step = 1): Field => ({ text: `${from}-${to}${step > 1 ? `/${step}` : ''}`, matches: (v) => v >= from && v <= to && (v - from) % step === 0 });
const one = (value: number): Field => ({ text: String(value), matches: (v) => v === value });
const any: Field = { text: '*', matches: () => true };

const minuteArb = fc.oneof(
  fc.constant(any),
  fc.integer({ min: 1, max: 30 }).map((step): Field => ({ text: `0/${step}`, matches: (v) => v % step === 0 })),
  fc.integer({ min: 0, max: 59 }).map(one),
  fc.tuple(fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 1, max: 20 })).map(([a, b, s]) => range(Math.min(a, b), Math.max(a, b), s)),
  fc.constant<Field>({ text: '0,15,30,45', matches: (v) => v % 15 === 0 }),
);
const hourArb = fc.oneof(
  fc.constant(any),
  fc.integer({ min: 0, max: 23 }).map(one),
  fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 23 })).map(([a, b]) => range(Math.min(a, b), Math.max(a, b))),
  fc.integer({ min: 1, max: 6 }).map((step): Field => ({ text: `*/${step}`, matches: (v) => v % step === 0 })),
);

const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
/** Weekday 1 = Sunday … 7 = Saturday. */
const weekdayOf = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 1;
const isWeekday = (y: number, m: number, d: number) => weekdayOf(y, m, d) >= 2 && weekdayOf(y, m, d) <= 6;
type DayPredicate = (y: number, m: number, d: number) => boolean;
interface DayFields {
  dom: string;
  dow: string;
  matches: DayPredicate;
}

/** "nW": the weekday of the same month closest to day n (the docs' "weekday closest to the third day"). */
function closestWeekday(y: number, m: number, n: number): number | undefined {
  if (n > daysIn(y, m)) return undefined;
  let best: number | undefined;
  for (let d = 1; d <= daysIn(y, m); d++) if (isWeekday(y, m, d) && (best === undefined || Math.abs(d - n) < Math.abs(best - n))) best = d;
  return best;
}

const dayArb: fc.Arbitrary<DayFields> = fc.oneof(
  fc.constant<DayFields>({ dom: '*', dow: '?', matches: () => true }),
  fc.integer({ min: 1, max: 31 }).map((n): DayFields => ({ dom: String(n), dow: '?', matches: (_y, _m, d) => d === n })),
  fc.constant<DayFields>({ dom: 'L', dow: '?', matches: (y, m, d) => d === daysIn(y, m) }),
  fc.constant<DayFields>({ dom: 'LW', dow: '?', matches: (y, m, d) => isWeekday(y, m, d) && ![...Array(daysIn(y, m) - d).keys()].some((k) => isWeekday(y, m, d + k + 1)) }),
  fc.integer({ min: 1, max: 31 }).map((n): DayFields => ({ dom: `${n}W`, dow: '?', matches: (y, m, d) => closestWeekday(y, m, n) === d })),
  fc.constant<DayFields>({ dom: '?', dow: 'MON-FRI', matches: (y, m, d) => isWeekday(y, m, d) }),
  fc.integer({ min: 1, max: 7 }).map((w): DayFields => ({ dom: '?', dow: String(w), matches: (y, m, d) => weekdayOf(y, m, d) === w })),
  fc.constant<DayFields>({ dom: '?', dow: 'L', matches: (y, m, d) => weekdayOf(y, m, d) === 7 }),
  fc.integer({ min: 1, max: 7 }).map((w): DayFields => ({ dom: '?', dow: `${w}L`, matches: (y, m, d) => weekdayOf(y, m, d) === w && d + 7 > daysIn(y, m) })),
  fc
    .tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 }))
    .map(([w, k]): DayFields => ({ dom: '?', dow: `${w}#${k}`, matches: (y, m, d) => weekdayOf(y, m, d) === w && Math.ceil(d / 7) === k })),
);

/** The brute force: UTC minute by minute, wall clock from Intl.formatToParts, first showing of each wall minute only. */
const partsFormats = new Map<string, Intl.DateTimeFormat>();
function wallOf(at: number, timeZone: string): number {
  let format = partsFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    partsFormats.set(timeZone, format);
  }
  const p: Record<string, number> = {};
  for (const part of format.formatToParts(at)) p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
}
function bruteForce(matches: (wall: Date) => boolean, timeZone: string, from: number, to: number): number[] {
  const seen = new Set<number>();
  const found: number[] = [];
  // Start a day early, so a wall minute first shown before `from` is known as seen when it repeats.
  for (let at = from - DAY; at <= to; at += MINUTE) {
    const wall = wallOf(at, timeZone);
    if (seen.has(wall)) continue;
    seen.add(wall);
    if (at >= from && matches(new Date(wall))) found.push(at);
  }
  return found;
}

/** A span of two days around one of the zone's offset changes in a year, or any two days of it. */
const spanArb = fc.record({ timeZone: fc.constantFrom(...ZONES), year: fc.integer({ min: 1975, max: 2060 }), pick: fc.nat(), shift: fc.integer({ min: -36, max: 12 }) }).map(({ timeZone, year, pick, shift }) => {
  const changes = new ZoneOffsets(timeZone).transitionsBetween(Date.UTC(year, 0, 2), Date.UTC(year, 11, 29));
  const around = changes.length > 0 ? changes[pick % changes.length]!.at : Date.UTC(year, 0, 2) + (pick % 360) * DAY;
  const from = Math.floor(around / MINUTE) * MINUTE + shift * 60 * MINUTE;
  return { timeZone, from, to: from + 2 * DAY };
});

const cronArb = fc.record({ minute: minuteArb, hour: hourArb, day: dayArb }).map(({ minute, hour, day }) => ({
  expression: `cron(${minute.text} ${hour.text} ${day.dom} * ${day.dow} *)`,
  matches: (wall: Date) =>
    minute.matches(wall.getUTCMinutes()) && hour.matches(wall.getUTCHours()) && day.matches(wall.getUTCFullYear(), wall.getUTCMonth() + 1, wall.getUTCDate()),
}));

function specOf(expression: string) {
  const parsed = parseScheduleExpression(expression);
  if ('field' in parsed || parsed.kind !== 'cron') throw new Error(`${expression}: ${'field' in parsed ? parsed.message : 'no cron'}`);
  return parsed.spec;
}

describe('cron evaluation against a minute-by-minute brute force in every IANA zone', () => {
  it('finds exactly the brute force’s runs in two days around a DST change: each by stepping, each by index, and their count', () => {
    fc.assert(
      fc.property(cronArb, spanArb, ({ expression, matches }, { timeZone, from, to }) => {
        const spec = specOf(expression);
        const expected = bruteForce(matches, timeZone, from, to);

        const stepped: number[] = [];
        for (let at = nthCronRun(spec, timeZone, from, 0); at !== undefined && at <= to; at = nthCronRun(spec, timeZone, at + 1, 0)) stepped.push(at);

        expect(stepped).toEqual(expected);
        expect(countCronRuns(spec, timeZone, from, to)).toBe(expected.length);
        for (const [k, at] of expected.entries()) if (k % 7 === 0) expect(nthCronRun(spec, timeZone, from, k)).toBe(at);
      }),
      { seed: 15, numRuns: 150 },
    );
  });
});

describe('run n without stepping', () => {
  it('gives run n from the start, in any zone, exactly as stepping n times does', () => {
    const coarseArb = fc.record({ minute: fc.constantFrom('0', '30', '0/20'), hour: fc.constantFrom('*', '2', '0-3', '*/5'), day: dayArb });
    fc.assert(
      fc.property(coarseArb, fc.constantFrom(...ZONES), fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2150, 0, 1) }), fc.integer({ min: 0, max: 300 }), ({ minute, hour, day }, timeZone, from, n) => {
        const spec = specOf(`cron(${minute} ${hour} ${day.dom} * ${day.dow} *)`);
        let at = nthCronRun(spec, timeZone, from, 0);
        for (let k = 0; k < n && at !== undefined; k++) at = nthCronRun(spec, timeZone, at + 1, 0);

        expect(nthCronRun(spec, timeZone, from, n)).toBe(at);
        if (at !== undefined) expect(countCronRuns(spec, timeZone, from, at)).toBe(n + 1);
      }),
      { seed: 1015, numRuns: 100 },
    );
  });
});
