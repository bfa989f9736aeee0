/**
 * A time zone's UTC offsets as a list of transitions, read from Intl (the runtime's IANA data, every zone
 * Intl knows) once per zone and year, so that the cron evaluator maps wall times to instants with
 * arithmetic instead of a formatter call per candidate minute.
 *
 * Offsets are in milliseconds: a few zones still had offsets with seconds after 1970 (Africa/Monrovia was
 * UTC-0:44:30 until 1972), and @date-fns/tz's `tzOffset` returns minutes and gets the sign of such an
 * offset wrong, so the offset is read from the formatted wall clock instead.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** No zone is further than this from UTC (Pacific/Kiritimati is +14:00): a wall time's instants lie within. */
const MAX_OFFSET_MS = 15 * HOUR_MS;
/**
 * How far apart the offset is sampled before a change is searched for to the second: a change and its
 * reversal within one step would be missed. Measured on this runtime's data (Node 20, ICU) over all 418
 * zones Intl lists, 1969-2040: a weekly sampling finds exactly the transitions a daily one finds (a run
 * of 243 s, too long for a test; test/unit/lib/cron-zone.test.ts repeats it for a sample of zones).
 */
const SAMPLE_MS = 7 * DAY_MS;

export interface Transition {
  /** The first instant (epoch ms, whole seconds) with the new offset. */
  at: number;
  before: number;
  after: number;
}

interface ZoneYear {
  /** Offset at the first instant of the UTC year. */
  start: number;
  transitions: Transition[];
}

/** The zones' data, built lazily: a zone costs about 365 formatter calls per year it is asked about. */
const zones = new Map<string, ZoneOffsets>();

export function zoneOffsets(timeZone: string): ZoneOffsets {
  let zone = zones.get(timeZone);
  if (!zone) {
    zone = new ZoneOffsets(timeZone);
    zones.set(timeZone, zone);
  }
  return zone;
}

export class ZoneOffsets {
  private readonly format: (at: number) => string;
  private readonly years = new Map<number, ZoneYear>();
  /** Wall times that do not exist, by wall day (floor(wall / DAY_MS)): [from, to) in wall milliseconds. */
  private readonly gaps = new Map<number, Array<[number, number]>>();
  /** The wall days with a gap, ascending. */
  private gapDays: number[] = [];

  constructor(
    readonly timeZone: string,
    private readonly sampleMs = SAMPLE_MS,
  ) {
    // "1/1/1971, GMT-00:44:30": the offset alone, seconds included, is the cheapest thing to ask Intl for.
    this.format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).format;
  }

  /** The offset at an instant, asked of Intl directly (for building the tables and for independent checks). */
  intlOffset(at: number): number {
    const text = this.format(at);
    const match = /GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(text);
    if (!match) throw new RangeError(`cannot read the UTC offset of ${this.timeZone} from "${text}"`);
    if (match[1] === undefined) return 0;
    const magnitude = ((Number(match[2]) * 60 + Number(match[3])) * 60 + Number(match[4] ?? 0)) * 1000;
    return match[1] === '-' ? -magnitude : magnitude;
  }

  private year(year: number): ZoneYear {
    let zoneYear = this.years.get(year);
    if (zoneYear) return zoneYear;
    const from = Date.UTC(year, 0, 1);
    const to = Date.UTC(year + 1, 0, 1);
    const transitions: Transition[] = [];
    const start = this.intlOffset(from);
    let at = from;
    let offset = start;
    while (at < to) {
      const next = Math.min(to, at + this.sampleMs);
      const nextOffset = this.intlOffset(next);
      // Search to the second; then go on from the change in case the step held more than one.
      let low = at;
      let lowOffset = offset;
      while (lowOffset !== nextOffset) {
        let high = next;
        while (high - low > 1000) {
          const mid = Math.floor((low + high) / 2000) * 1000;
          if (this.intlOffset(mid) === lowOffset) low = mid;
          else high = mid;
        }
        const after = this.intlOffset(high);
        transitions.push({ at: high, before: lowOffset, after });
        low = high;
        lowOffset = after;
      }
      at = next;
      offset = nextOffset;
    }
    zoneYear = { start, transitions };
    this.years.set(year, zoneYear);
    for (const { at: change, before, after } of transitions) {
      if (after <= before) continue; // clocks set back: every wall time exists (some twice)
      // Clocks set forward: wall times [change + before, change + after) are never shown.
      const gapFrom = change + before;
      const gapTo = change + after;
      for (let day = Math.floor(gapFrom / DAY_MS); day * DAY_MS < gapTo; day++) {
        const list = this.gaps.get(day);
        if (list) list.push([gapFrom, gapTo]);
        else {
          this.gaps.set(day, [[gapFrom, gapTo]]);
          this.gapDays.push(day);
        }
      }
    }
    this.gapDays.sort((a, b) => a - b);
    return zoneYear;
  }

  /** The offset in effect at an instant. */
  offsetAt(at: number): number {
    const zoneYear = this.year(new Date(at).getUTCFullYear());
    let offset = zoneYear.start;
    for (const transition of zoneYear.transitions) {
      if (transition.at > at) break;
      offset = transition.after;
    }
    return offset;
  }

  /** Transitions with from <= at < to. */
  transitionsBetween(from: number, to: number): Transition[] {
    const found: Transition[] = [];
    for (let year = new Date(from).getUTCFullYear(); year <= new Date(to).getUTCFullYear(); year++) {
      for (const transition of this.year(year).transitions) if (transition.at >= from && transition.at < to) found.push(transition);
    }
    return found;
  }

  /** The wall clock at an instant, as epoch ms of the same fields in UTC. */
  wallOf(at: number): number {
    return at + this.offsetAt(at);
  }

  /** Makes sure the gaps of wall days [from, to) are known (the tables are built by UTC year, lazily). */
  private ensureDays(from: number, to: number): void {
    // A year's transitions make gaps at most a day and MAX_OFFSET_MS from it: one year either side is enough.
    const first = Math.floor(from / 365.2425) + 1970 - 1;
    const last = Math.floor(to / 365.2425) + 1970 + 1;
    for (let year = first; year <= last; year++) if (!this.years.has(year)) this.year(year);
  }

  /** The wall days in [from, to) that have a gap, ascending. */
  gapDaysBetween(from: number, to: number): number[] {
    this.ensureDays(from, to);
    const days = this.gapDays;
    let low = 0;
    let high = days.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (days[mid]! < from) low = mid + 1;
      else high = mid;
    }
    const found: number[] = [];
    for (let i = low; i < days.length && days[i]! < to; i++) found.push(days[i]!);
    return found;
  }

  /** The gaps (wall ms, [from, to)) that touch a wall day; empty on almost every day. */
  gapsOfDay(day: number): ReadonlyArray<[number, number]> {
    this.ensureDays(day, day + 1);
    return this.gaps.get(day) ?? [];
  }

  /** Whether the zone's clock ever shows this wall time. */
  exists(wall: number): boolean {
    return !this.gapsOfDay(Math.floor(wall / DAY_MS)).some(([from, to]) => wall >= from && wall < to);
  }

  /**
   * The first instant the clock shows this wall time, or undefined when it never does (a spring-forward
   * gap). A wall time shown twice (clocks set back) gives its first occurrence.
   */
  firstInstant(wall: number): number | undefined {
    const from = wall - MAX_OFFSET_MS;
    const changes = this.transitionsBetween(from, wall + MAX_OFFSET_MS);
    const first = this.offsetAt(from);
    if (changes.length === 0) return wall - first;
    let best: number | undefined;
    for (const offset of new Set([first, ...changes.map((change) => change.after)])) {
      const at = wall - offset;
      if (this.offsetAt(at) === offset && (best === undefined || at < best)) best = at;
    }
    return best;
  }
}
