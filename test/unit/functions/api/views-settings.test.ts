/**
 * The views carry a job's policies (policiesOf) to clients, so the dashboard shows them without defaults
 * of its own: the job view and the upcoming view give the same `settings`.
 */
import { jobDetailView, upcomingView } from '../../../../src/functions/api/views';
import { parseJob } from '../../../../src/lib/job';
import { newRecord } from '../../../support/fakes';

const NOW = new Date(1733306400000); // 2024-12-04T10:00:00Z

describe('settings in the views', () => {
  it('are the same in the job view and the upcoming view, defaults filled in', () => {
    const job = parseJob({ id: 'v', startDateTime: '2024-12-04T00:00:00Z', frequency: { hours: 1 }, forever: true, action: { type: 'message', text: 'x' }, overlap: 'allow' });
    const record = newRecord(job, { totalRuns: null, nextRunAt: '2024-12-04T00:00:00Z', now: NOW.toISOString() });

    const detail = jobDetailView(record, { items: [] });
    const upcoming = upcomingView(record, [], NOW);

    expect(detail.settings).toEqual(upcoming.settings);
    expect(detail.settings).toMatchObject({ timeZone: 'UTC', catchUp: 'one', catchUpWindowMinutes: 1440, overlap: 'allow', flexibleWindowMinutes: null, retentionDays: null });
  });
});
