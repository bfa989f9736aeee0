/**
 * The zone tables the cron evaluator maps wall times with: read from Intl, checked against Intl.
 */
import fc from 'fast-check';
import { ZoneOffsets } from '../../../src/lib/cron-zone';

const DAY = 86_400_000;

describe('zone offsets', () => {
  it('keeps offsets with seconds and their sign: Africa/Monrovia was UTC-0:44:30 until 1972', () => {
    const monrovia = new ZoneOffsets('Africa/Monrovia');

    expect(monrovia.offsetAt(Date.UTC(1971, 5, 1))).toBe(-(44 * 60 + 30) * 1000);
    expect(monrovia.offsetAt(Date.UTC(1973, 5, 1))).toBe(0);
  });

  it('finds the same changes sampling weekly as sampling daily, for a sample of zones and years', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Intl.supportedValuesOf('timeZone')), fc.integer({ min: 1969, max: 2199 }), (timeZone, year) => {
        const from = Date.UTC(year, 0, 1);
        const to = Date.UTC(year + 1, 0, 1);

        expect(new ZoneOffsets(timeZone).transitionsBetween(from, to)).toEqual(new ZoneOffsets(timeZone, DAY).transitionsBetween(from, to));
      }),
      { seed: 7, numRuns: 60 },
    );
  });

  it('agrees with Intl at random instants, and maps wall times back to the first instant showing them', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Intl.supportedValuesOf('timeZone')), fc.integer({ min: Date.UTC(1970, 1, 1), max: Date.UTC(2199, 10, 1) }), (timeZone, at) => {
        const zone = new ZoneOffsets(timeZone);
        const second = at - (at % 1000);

        expect(zone.offsetAt(second)).toBe(zone.intlOffset(second));
        const wall = zone.wallOf(second);
        const first = zone.firstInstant(wall)!;
        expect(first).toBeLessThanOrEqual(second);
        expect(zone.wallOf(first)).toBe(wall);
      }),
      { seed: 8, numRuns: 200 },
    );
  });
});
