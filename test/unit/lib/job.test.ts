import { ValidationError } from '../../../src/lib/errors';
import {
  CursorSchema,
  FrequencySchema,
  JobSchema,
  kindOf,
  parseJob,
  parseOrThrow,
  toFieldIssues,
  type JobInput,
} from '../../../src/lib/job';

/** A valid report workflow; each case below breaks one rule of it. */
const WORKFLOW: JobInput = {
  id: 'weekly-report_1',
  startDateTime: '2024-12-04T10:00:00Z',
  endDateTime: '2024-12-10T10:00:00Z',
  frequency: { days: 1 },
};

/** A valid action job without an end. */
const ACTION_JOB: JobInput = {
  id: 'ping',
  startDateTime: '2024-12-04T10:00:00Z',
  frequency: { hours: 1 },
  action: { type: 'webhook', url: 'https://example.com/hook' },
  forever: true,
};

/** Parse and return the ValidationError; fails the test when parsing succeeds or throws anything else. */
function validationErrorOf(input: unknown): ValidationError {
  try {
    parseJob(input);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`expected a ValidationError for ${JSON.stringify(input)}`);
}

describe('parseJob with valid input', () => {
  it('accepts a workflow and applies the defaults: time zone UTC, no action', () => {
    const input = { ...WORKFLOW };

    const job = parseJob(input);

    expect(job).toEqual({
      id: 'weekly-report_1',
      startDateTime: '2024-12-04T10:00:00Z',
      endDateTime: '2024-12-10T10:00:00Z',
      frequency: { days: 1 },
      timeZone: 'UTC',
    });
    expect(kindOf(job)).toBe('workflow');
  });

  it('accepts a webhook action job without an end and defaults its method to POST', () => {
    const input = { ...ACTION_JOB };

    const job = parseJob(input);

    expect(job.action).toEqual({ type: 'webhook', url: 'https://example.com/hook', method: 'POST' });
    expect(job.endDateTime).toBeUndefined();
    expect(kindOf(job)).toBe('action');
  });

  it('accepts a message action, a one-off job without frequency and an IANA zone', () => {
    const input: JobInput = {
      id: 'once',
      startDateTime: '2024-12-04T11:00:00+01:00',
      timeZone: 'Europe/Berlin',
      action: { type: 'message', text: 'hello', channel: 'ops' },
    };

    const job = parseJob(input);

    expect(job.frequency).toBeUndefined();
    expect(job.timeZone).toBe('Europe/Berlin');
    expect(job.action).toEqual({ type: 'message', text: 'hello', channel: 'ops' });
  });

  it('fills the workflow config defaults: weekly report from the sample data set', () => {
    const input: JobInput = { ...WORKFLOW, config: { notifyEmail: 'ops@example.com' } };

    const job = parseJob(input);

    expect(job.config).toEqual({ reportType: 'weekly', dataSource: 'sample:analytics', notifyEmail: 'ops@example.com' });
  });

  it('accepts an id of exactly 80 characters, the longest execution name', () => {
    const input = { ...WORKFLOW, id: 'a'.repeat(80) };

    const job = parseJob(input);

    expect(job.id).toHaveLength(80);
  });

  it('accepts a one-off workflow without endDateTime (its only run is the report)', () => {
    const input = { id: 'once', startDateTime: '2024-12-04T10:00:00Z' };

    const job = parseJob(input);

    expect(job.frequency).toBeUndefined();
    expect(job.endDateTime).toBeUndefined();
  });

  it('accepts fractional seconds and offsets in the date-times', () => {
    const input = { ...WORKFLOW, startDateTime: '2021-02-22T03:05:00.000Z', endDateTime: '2030-01-01T05:30:00+05:30' };

    const job = parseJob(input);

    expect(job.startDateTime).toBe('2021-02-22T03:05:00.000Z');
    expect(job.endDateTime).toBe('2030-01-01T05:30:00+05:30');
  });
});

describe('FrequencySchema', () => {
  it.each([
    ['year', 'years'],
    ['quarter', 'quarters'],
    ['month', 'months'],
    ['week', 'weeks'],
    ['day', 'days'],
    ['hour', 'hours'],
    ['minute', 'minutes'],
  ])('maps the singular name "%s" to the plural "%s"', (singular, plural) => {
    const input = { [singular]: 2 };

    const frequency = FrequencySchema.parse(input);

    expect(frequency).toEqual({ [plural]: 2 });
  });

  it('keeps combined units side by side', () => {
    const input = { days: 1, hours: 2, minute: 30 };

    const frequency = FrequencySchema.parse(input);

    expect(frequency).toEqual({ days: 1, hours: 2, minutes: 30 });
  });

  it('adds a singular and a plural of the same unit together', () => {
    const input = { day: 1, days: 2 };

    const frequency = FrequencySchema.parse(input);

    expect(frequency).toEqual({ days: 3 });
  });

  it('keeps quarters as quarters (the schedule turns them into 3 months)', () => {
    const input = { quarter: 1 };

    const frequency = FrequencySchema.parse(input);

    expect(frequency).toEqual({ quarters: 1 });
  });

  it('accepts zero units beside a positive one', () => {
    const input = { days: 0, hours: 6 };

    const frequency = FrequencySchema.parse(input);

    expect(frequency).toEqual({ days: 0, hours: 6 });
  });

  it('reports an unknown unit once, without also claiming that no unit is above zero', () => {
    const input = { ...WORKFLOW, frequency: { fortnights: 1 } };

    const error = validationErrorOf(input);

    expect(error.issues).toEqual([
      { field: 'frequency.fortnights', message: expect.stringContaining('unknown unit "fortnights"') },
    ]);
  });
});

describe('JobSchema validation errors', () => {
  const job = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...WORKFLOW, ...patch });
  const actionJob = (action: unknown): Record<string, unknown> => ({ ...ACTION_JOB, action });
  const without = (input: Record<string, unknown>, key: string): Record<string, unknown> => {
    const { [key]: _dropped, ...rest } = input;
    return rest;
  };

  it.each<[string, unknown, string, RegExp]>([
    ['an id with a space', job({ id: 'daily report' }), 'id', /1-80 characters of A-Z, a-z, 0-9, _ and -/],
    ['an id of 81 characters', job({ id: 'a'.repeat(81) }), 'id', /1-80 characters/],
    ['an empty id', job({ id: '' }), 'id', /1-80 characters/],
    ['an id that is not a string', job({ id: 42 }), 'id', /expected string, received number/],
    ['a missing id', without(job({}), 'id'), 'id', /expected string, received undefined/],
    ['a start without offset', job({ startDateTime: '2024-12-04T10:00:00' }), 'startDateTime', /with an offset or Z/],
    ['a start on Feb 30', job({ startDateTime: '2024-02-30T10:00:00Z' }), 'startDateTime', /ISO-8601 date-time/],
    ['a start on Feb 29 of a non-leap year', job({ startDateTime: '2023-02-29T10:00:00Z' }), 'startDateTime', /ISO-8601 date-time/],
    ['a start that is no date', job({ startDateTime: 'tomorrow' }), 'startDateTime', /ISO-8601 date-time/],
    ['a start as epoch number', job({ startDateTime: 1733306400000 /* 2024-12-04T10:00:00.000Z */ }), 'startDateTime', /ISO-8601 date-time/],
    ['an end without offset', job({ endDateTime: '2024-12-10T10:00:00' }), 'endDateTime', /with an offset or Z/],
    ['an end before the start', job({ endDateTime: '2024-12-03T10:00:00Z' }), 'endDateTime', /must be after startDateTime/],
    ['an end equal to the start', job({ endDateTime: '2024-12-04T10:00:00Z' }), 'endDateTime', /must be after startDateTime/],
    ['an end equal to the start in another offset', job({ endDateTime: '2024-12-04T11:00:00+01:00' }), 'endDateTime', /must be after startDateTime/],
    ['an unknown frequency unit', job({ frequency: { fortnights: 1 } }), 'frequency.fortnights', /unknown unit "fortnights"; use years, quarters, months, weeks, days, hours, minutes/],
    ['an unknown unit beside a known one', job({ frequency: { days: 1, sols: 2 } }), 'frequency.sols', /unknown unit "sols"/],
    ['a negative unit', job({ frequency: { days: -1 } }), 'frequency.days', /must be 0 or more/],
    ['a fractional unit', job({ frequency: { hours: 1.5 } }), 'frequency.hours', /must be a whole number/],
    ['a unit given as a string', job({ frequency: { days: '1' } }), 'frequency.days', /expected number, received string/],
    ['a unit above one million', job({ frequency: { minutes: 1_000_001 } }), 'frequency.minutes', /must be at most 1000000/],
    // Issue 15: each form passed alone, the sum did not, and every Lambda that parsed the job again refused it.
    ['minutes and minute adding up past one million', job({ frequency: { minutes: 1_000_000, minute: 1_000_000 } }), 'frequency.minutes', /minutes and minute add up to 2000000; together they must be at most 1000000/],
    ['a cron whose only year is before the start', { ...ACTION_JOB, frequency: undefined, scheduleExpression: 'cron(0 0 1 1 ? 1970)' }, 'scheduleExpression', /has no run at or after startDateTime \(its years end in 1970\)/],
    ['a cron on Feb 29 of a year that has none, with maxRuns', { ...ACTION_JOB, frequency: undefined, forever: undefined, maxRuns: 3, scheduleExpression: 'cron(0 0 29 2 ? 2099)' }, 'scheduleExpression', /has no run at or after startDateTime/],
    ['a cron whose first run comes after the end', job({ frequency: undefined, scheduleExpression: 'cron(0 0 1 1 ? *)' }), 'scheduleExpression', /has no run between startDateTime and endDateTime \(its first is 2025-01-01T00:00:00.000Z\)/],
    ['a singular unit that is negative', job({ frequency: { day: -1 } }), 'frequency.day', /must be 0 or more/],
    ['an all-zero frequency', job({ frequency: { days: 0, hours: 0 } }), 'frequency', /at least one unit must be above zero/],
    ['an empty frequency', job({ frequency: {} }), 'frequency', /at least one unit must be above zero/],
    ['a frequency that is a string', job({ frequency: 'daily' }), 'frequency', /must be an object of units such as \{ "days": 1 \}/],
    ['a frequency that is a number', job({ frequency: 1 }), 'frequency', /must be an object of units/],
    ['a frequency that is an array', job({ frequency: [1] }), 'frequency', /must be an object of units/],
    ['a frequency that is null', job({ frequency: null }), 'frequency', /must be an object of units/],
    ['an unknown time zone', job({ timeZone: 'Mars/Olympus_Mons' }), 'timeZone', /must be an IANA time zone/],
    ['an empty time zone', job({ timeZone: '' }), 'timeZone', /must be an IANA time zone/],
    ['a webhook whose url is no URL', actionJob({ type: 'webhook', url: 'not a url' }), 'action.url', /must be an http\(s\) URL/],
    ['a webhook with an ftp url', actionJob({ type: 'webhook', url: 'ftp://example.com/hook' }), 'action.url', /must be an http\(s\) URL/],
    ['a webhook with a javascript: url', actionJob({ type: 'webhook', url: 'javascript:alert(1)' }), 'action.url', /must be an http\(s\) URL/],
    ['a webhook without url', actionJob({ type: 'webhook' }), 'action.url', /expected string, received undefined/],
    ['a webhook with an unknown method', actionJob({ type: 'webhook', url: 'https://example.com', method: 'FETCH' }), 'action.method', /expected one of "GET"\|"POST"\|"PUT"\|"PATCH"\|"DELETE"/],
    ['a webhook with an unknown field', actionJob({ type: 'webhook', url: 'https://example.com', retries: 3 }), 'action.retries', /unrecognized key: "retries"/i],
    ['a message with empty text', actionJob({ type: 'message', text: '' }), 'action.text', /must not be empty/],
    ['an unknown action type', actionJob({ type: 'sms', to: '+100' }), 'action.type', /must be \{ "type": "webhook", "url": \.\.\. \} or \{ "type": "message", "text": \.\.\. \}/],
    ['an action without type', actionJob({ url: 'https://example.com' }), 'action.type', /"type": "webhook"/],
    ['an action that is a string', actionJob('https://example.com'), 'action', /"type": "webhook"/],
    ['an unknown top-level field', job({ owner: 'me' }), 'owner', /unrecognized key: "owner"/i],
    ['a config together with an action', { ...ACTION_JOB, config: { reportType: 'daily' } }, 'config', /is for report workflows; a job with an action takes none/],
    ['a recurring workflow without endDateTime', without(job({}), 'endDateTime'), 'endDateTime', /is required for a recurring report workflow/],
    ['a bad notifyEmail', job({ config: { notifyEmail: 'ops-at-example.com' } }), 'config.notifyEmail', /must be an email address/],
    ['a bad reportType', job({ config: { reportType: 'hourly' } }), 'config.reportType', /expected one of "daily"\|"weekly"\|"monthly"/],
    ['an empty dataSource', job({ config: { dataSource: '' } }), 'config.dataSource', /must not be empty/],
    ['an unknown config field', job({ config: { action: { type: 'message', text: 'x' } } }), 'config.action', /unrecognized key: "action"/i],
    ['context that is not JSON', job({ context: { at: new Date(0) /* 1970-01-01T00:00:00.000Z */ } }), 'context', /invalid input/i],
    ['an unknown onFailure policy', job({ onFailure: 'retry' }), 'onFailure', /expected one of "continue"\|"abort"/],
    ['input that is null', null, '(input)', /expected object, received null/],
    ['input that is an array', [WORKFLOW], '(input)', /expected object, received array/],
  ])('rejects %s, naming the field and the rule', (_case, input, field, rule) => {
    const before = JSON.stringify(input);

    const error = validationErrorOf(input);

    expect(error).toBeInstanceOf(ValidationError);
    expect(error.name).toBe('ValidationError');
    expect(error.issues[0]?.field).toBe(field);
    expect(error.issues[0]?.message).toMatch(rule);
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('lists every broken rule and says how many more there are in the message', () => {
    const input = { id: 'a b', startDateTime: 'soon', timeZone: 'Nowhere' };

    const error = validationErrorOf(input);

    expect(error.issues.map((issue) => issue.field)).toEqual(['id', 'startDateTime', 'timeZone']);
    expect(error.message).toBe('id: must be 1-80 characters of A-Z, a-z, 0-9, _ and - (and 2 more)');
  });

  it('names the first unknown field when several are given and lists all of them in the message', () => {
    const input = { ...WORKFLOW, frequency: { fortnights: 1, sols: 2 } };

    const error = validationErrorOf(input);

    expect(error.issues[0]?.field).toBe('frequency.fortnights');
    expect(error.issues[0]?.message).toMatch(/unknown unit "fortnights", "sols"/);
  });
});

describe('toFieldIssues and parseOrThrow', () => {
  it('prefixes the dotted path with where the value sat', () => {
    const result = JobSchema.safeParse({ ...WORKFLOW, frequency: { days: -1 } });
    if (result.success) throw new Error('expected the parse to fail');

    const issues = toFieldIssues(result.error, ['body', 'job']);

    expect(issues).toEqual([{ field: 'body.job.frequency.days', message: 'must be 0 or more' }]);
  });

  it('puts an unknown key at the end of the path, after the prefix', () => {
    const result = JobSchema.safeParse({ ...WORKFLOW, config: { extra: true } });
    if (result.success) throw new Error('expected the parse to fail');

    const issues = toFieldIssues(result.error, ['job']);

    expect(issues).toEqual([{ field: 'job.config.extra', message: 'Unrecognized key: "extra"' }]);
  });

  it('names the input itself "(input)" when the issue has no path', () => {
    const result = JobSchema.safeParse('a job');
    if (result.success) throw new Error('expected the parse to fail');

    const issues = toFieldIssues(result.error);

    expect(issues).toEqual([{ field: '(input)', message: 'Invalid input: expected object, received string' }]);
  });

  it('lets a cursor carry the fields the state machine adds', () => {
    const input = { iteration: 1, aborted: false, generation: 2, firstIteration: 1 };

    const cursor = parseOrThrow(CursorSchema, input);

    // aborted is the ASL's own flag and is dropped; generation and firstIteration are the cursor's.
    expect(cursor).toEqual({ iteration: 1, generation: 2, firstIteration: 1 });
  });

  it('throws a ValidationError with the prefixed field from parseOrThrow', () => {
    const input = { iteration: -1 };

    const act = () => parseOrThrow(CursorSchema, input, ['cursor']);

    expect(act).toThrow(ValidationError);
    expect(act).toThrow('cursor.iteration: must be 0 or more');
  });

  it('returns the parsed value from parseOrThrow when the input is valid', () => {
    const input = { iteration: 3, lastResult: { rows: 2 } };

    const cursor = parseOrThrow(CursorSchema, input);

    expect(cursor).toEqual({ iteration: 3, lastResult: { rows: 2 } });
  });
});

describe('jobs that could never run (issue 15)', () => {
  it('keeps a parsed frequency parseable again: the sum of a unit’s two forms stays within the unit’s limit', () => {
    const parsed = parseJob({ ...ACTION_JOB, frequency: { minutes: 500_000, minute: 500_000 } });

    expect(parsed.frequency).toEqual({ minutes: 1_000_000 });
    expect(parseJob(parsed)).toEqual(parsed);
  });

  it('accepts a cron whose first run is the last minute before the end, and one with runs left in its last year', () => {
    expect(() => parseJob({ ...WORKFLOW, frequency: undefined, scheduleExpression: 'cron(0 10 10 12 ? 2024)' })).not.toThrow();
    expect(() => parseJob({ ...ACTION_JOB, frequency: undefined, scheduleExpression: 'cron(0 0 31 12 ? 2024)' })).not.toThrow();
  });
});
