/**
 * The invariant checker on hand-made partitions: a sound one passes, and each way the ledger could break
 * (a double outcome, a gap, a counter off by one, a run left STARTED, a skip counted without an item, a
 * skip with the wrong planned time) is named.
 */
import { checkPartition, type StoredItem } from '../../support/invariant';

const HOUR = 3_600_000;
const START = Date.parse('2027-03-01T10:00:00Z'); // 1803981600000
const job = { id: 'hourly', startDateTime: '2027-03-01T10:00:00Z', frequency: { hours: 1 }, maxRuns: 5, timeZone: 'UTC', action: { type: 'webhook', url: 'http://127.0.0.1:1/hook', method: 'POST' } };

function jobItem(fields: { status?: string; cursor?: number; completedRuns?: number; failedRuns?: number; skippedRuns?: number; totalRuns?: number } = {}): StoredItem {
  return {
    pk: 'JOB#hourly',
    sk: 'JOB',
    jobId: 'hourly',
    job,
    status: fields.status ?? 'COMPLETED',
    cursor: fields.cursor ?? 4,
    progress: { completedRuns: fields.completedRuns ?? 2, failedRuns: fields.failedRuns ?? 1, skippedRuns: fields.skippedRuns ?? 2, totalRuns: fields.totalRuns ?? 5 },
  };
}

function run(iteration: number, state: string, extra: Record<string, unknown> = {}): StoredItem {
  return {
    pk: 'JOB#hourly',
    sk: `RUN#${String(iteration).padStart(10, '0')}`,
    jobId: 'hourly',
    iteration,
    phase: 'action',
    // A run's planned time as the calculator's Wait timestamp writes it: whole seconds, no fraction.
    plannedAt: new Date(START + iteration * HOUR).toISOString().replace('.000Z', 'Z'),
    attempts: state === 'SKIPPED' ? 0 : 1,
    state,
    ...extra,
  };
}

/** 0 succeeded, 1-2 skipped (one item for the range), 3 failed, 4 succeeded: COMPLETED, 2 + 1 + 2 = 5. */
function soundPartition(): StoredItem[] {
  return [jobItem(), run(0, 'SUCCEEDED'), run(1, 'SKIPPED', { skippedThrough: 2, skipReason: 'missed' }), run(3, 'FAILED'), run(4, 'SUCCEEDED')];
}

describe('checkPartition', () => {
  it('passes a sound partition and tallies its outcomes', () => {
    const { violations, tally } = checkPartition(soundPartition());

    expect(violations).toEqual([]);
    expect(tally).toMatchObject({ jobId: 'hourly', status: 'COMPLETED', succeeded: 2, failed: 1, skipped: 2, started: 0 });
  });

  it('names an iteration with two outcomes: a SUCCEEDED item inside a SKIPPED range', () => {
    const items = [...soundPartition(), run(2, 'SUCCEEDED')];

    const { violations } = checkPartition(items);

    expect(violations).toContain('job hourly: iteration 2 has 2 outcomes (RUN#0000000001 SKIPPED, RUN#0000000002 SUCCEEDED)');
  });

  it('names a gap: an iteration the cursor counts with no item', () => {
    const items = soundPartition().filter((item) => item.sk !== 'RUN#0000000003');

    const { violations } = checkPartition(items);

    expect(violations).toContain('job hourly: iteration 3 has no outcome although the cursor 4 counts it');
    expect(violations).toContain('job hourly: failedRuns is 1 but the items hold 0');
  });

  it('names each counter off by one', () => {
    const [, ...runs] = soundPartition();

    expect(checkPartition([jobItem({ completedRuns: 3 }), ...runs]).violations).toEqual([
      'job hourly: completedRuns is 3 but the items hold 2',
      'job hourly: COMPLETED with completed + failed + skipped = 6, but totalRuns is 5',
    ]);
    expect(checkPartition([jobItem({ failedRuns: 0 }), ...runs]).violations).toContain('job hourly: failedRuns is 0 but the items hold 1');
    expect(checkPartition([jobItem({ skippedRuns: 1 }), ...runs]).violations).toContain('job hourly: skippedRuns is 1 but the items hold 2');
  });

  it("names the issue's case: run 0 left STARTED, a skip counted with no item, the job COMPLETED", () => {
    // Kill during run 0, restart late: the skip of 0-1 wrote nothing at 0 (an item existed) but counted 2.
    const items = [
      jobItem({ cursor: 4, completedRuns: 3, failedRuns: 0, skippedRuns: 2 }),
      run(0, 'STARTED'),
      run(1, 'SKIPPED', { skipReason: 'missed' }),
      run(2, 'SUCCEEDED'),
      run(3, 'SUCCEEDED'),
      run(4, 'SUCCEEDED'),
    ];

    const { violations } = checkPartition(items);

    expect(violations).toEqual([
      'job hourly RUN#0000000000: left STARTED although its parent is final',
      'job hourly: iteration 0 has no outcome although the cursor 4 counts it',
      'job hourly: skippedRuns is 2 but the items hold 1',
    ]);
  });

  it('names a SKIPPED item without a reason or with the time of skipping instead of its planned time', () => {
    const items = soundPartition().map((item) => (item.sk === 'RUN#0000000001' ? { ...item, plannedAt: '2027-03-01T15:42:00.000Z', skipReason: undefined } : item));

    const { violations } = checkPartition(items);

    expect(violations).toEqual([
      'job hourly RUN#0000000001: SKIPPED without a skipReason',
      'job hourly RUN#0000000001: SKIPPED with plannedAt 2027-03-01T15:42:00.000Z, but iteration 1 was planned at 2027-03-01T11:00:00.000Z',
    ]);
  });

  it('names an outcome after the cursor of a final job: a run settled and never counted', () => {
    const items = [jobItem({ status: 'CANCELLED', cursor: 3, completedRuns: 1 }), ...soundPartition().slice(1)];

    expect(checkPartition(items).violations).toEqual(['job hourly RUN#0000000004: SUCCEEDED after the cursor 3 of a final parent: never counted']);
  });

  it('lets a running job have the one run in flight beyond its cursor, and names a second', () => {
    // Run 0 done, 1 skipped for overlap, 2 begun and not settled yet.
    const inFlight = [jobItem({ status: 'RUNNING', cursor: 1, completedRuns: 1, failedRuns: 0, skippedRuns: 1 }), run(0, 'SUCCEEDED'), run(1, 'SKIPPED', { skipReason: 'overlap' }), run(2, 'STARTED')];

    expect(checkPartition(inFlight).violations).toEqual([]);
    expect(checkPartition([...inFlight, run(3, 'STARTED')]).violations).toEqual(['job hourly: 2 runs STARTED at once; at most the one in flight may be']);
  });

  it('names a COMPLETED job whose outcomes do not add up to its total runs', () => {
    const items = [jobItem({ cursor: 3, completedRuns: 1 }), ...soundPartition().slice(1, 4)];

    expect(checkPartition(items).violations).toEqual([
      'job hourly: COMPLETED with completed + failed + skipped = 4, but totalRuns is 5',
      'job hourly: COMPLETED with cursor 3, but its last run is 4',
    ]);
  });

  describe('requests', () => {
    const request = (fields: Record<string, unknown>): StoredItem => ({
      pk: 'JOB#hourly',
      sk: 'REQUEST#20270301T100000000Z-backfill-1',
      jobId: 'hourly',
      requestId: '20270301T100000000Z-backfill-1',
      kind: 'backfill',
      state: 'SUCCEEDED',
      runCount: 2,
      completedRuns: 1,
      failedRuns: 1,
      cursor: 1,
      ...fields,
    });
    const extra = (index: number, state: string): StoredItem => ({
      pk: 'JOB#hourly',
      sk: `EXTRA#20270301T100000000Z-backfill-1#${String(index).padStart(6, '0')}`,
      jobId: 'hourly',
      requestId: '20270301T100000000Z-backfill-1',
      kind: 'backfill',
      index,
      iteration: index,
      phase: 'action',
      plannedAt: '2027-03-01T10:00:00Z',
      attempts: 1,
      state,
    });

    it('passes a request whose runs equal its counters', () => {
      const { violations, tally } = checkPartition([...soundPartition(), request({}), extra(0, 'SUCCEEDED'), extra(1, 'FAILED')]);

      expect(violations).toEqual([]);
      expect(tally).toMatchObject({ requests: 1, extraRuns: 2 });
    });

    it('names a request counter off by one, a run left STARTED, a short SUCCEEDED request and runs with no request', () => {
      expect(checkPartition([...soundPartition(), request({ completedRuns: 2 }), extra(0, 'SUCCEEDED'), extra(1, 'FAILED')]).violations).toEqual([
        'job hourly request 20270301T100000000Z-backfill-1: completedRuns is 2 but the items hold 1',
        'job hourly request 20270301T100000000Z-backfill-1: SUCCEEDED with completed + failed + skipped = 3, but runCount is 2',
      ]);
      expect(checkPartition([...soundPartition(), request({ cursor: 0, failedRuns: 0 }), extra(0, 'SUCCEEDED'), extra(1, 'STARTED')]).violations).toEqual([
        'job hourly request 20270301T100000000Z-backfill-1 EXTRA#20270301T100000000Z-backfill-1#000001: left STARTED although its parent is final',
        'job hourly request 20270301T100000000Z-backfill-1: SUCCEEDED with completed + failed + skipped = 1, but runCount is 2',
      ]);
      expect(checkPartition([...soundPartition(), extra(0, 'SUCCEEDED')]).violations).toEqual([
        'job hourly: extra runs of request 20270301T100000000Z-backfill-1, which has no request item',
      ]);
    });
  });
});
