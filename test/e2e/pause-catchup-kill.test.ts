/**
 * Pauses, catch-up and kill -9 together (issue 15's invariant): `npm start`'s program as a child process,
 * jobs that start in the past under each catch-up policy, a workflow paused across its run 0, a workflow and
 * two action jobs (catchUp skip and the default one) paused across their last run, pauses and resumes through the HTTP API, and three SIGKILLs
 * (mid catch-up, while paused, just after the resumes). Every other setting is the default.
 *
 * At the end every job must be COMPLETED, its stored partition must hold the ledger's invariant
 * (test/support/invariant.ts), and the API must show, per job, completed + failed + skipped = totalRuns and
 * every iteration exactly once: SUCCEEDED, FAILED, or SKIPPED with a reason and its planned time.
 *
 * Robust on a loaded machine: every step waits on state read through the API (generous timeouts), never on a
 * fixed delay; an hour is 6 real seconds, so a pause sent after a run is seen lands well before the next one.
 */
import { checkTable } from '../support/invariant';
import { childConfig, cleanUpChildren, documents, kill9, runtimeNow, startChildRuntime, type ChildRuntime } from '../support/child-runtime';
import { callJson, until, type AnyJson } from '../support/http';

const SPEED = 600; // an hour in 6 real seconds
const HOUR = 3_600_000;
const MINUTE = 60_000;
const WORKFLOW = { config: { reportType: 'daily', dataSource: 'sample:analytics' } };
const ACTION = { action: { type: 'message', text: 'tick' } };

interface Step {
  iteration: number;
  phase: string;
  state: string;
  plannedAt: string;
  skippedThrough?: number;
  skipReason?: string;
}

interface Submitted {
  id: string;
  startDateTime: string;
  maxRuns: number;
}

afterAll(cleanUpChildren);

const view = async (runtime: ChildRuntime, id: string): Promise<AnyJson> => (await callJson(runtime.url, 'GET', `/jobs/${id}?runsLimit=100`)).body;

/** Wait (polling the API) until the job's view satisfies `done`. */
const waitFor = (runtime: ChildRuntime, id: string, done: (job: AnyJson) => boolean, timeoutMs = 90_000) => until(() => view(runtime, id), done, timeoutMs);

async function submit(runtime: ChildRuntime, job: Submitted & Record<string, unknown>): Promise<Submitted> {
  const answer = await callJson(runtime.url, 'POST', '/jobs', { frequency: { hours: 1 }, ...job });
  expect(answer).toMatchObject({ status: 201 });
  return job;
}

async function pause(runtime: ChildRuntime, id: string): Promise<void> {
  expect(await callJson(runtime.url, 'POST', `/jobs/${id}/pause`, { note: 'pause-catchup-kill' })).toMatchObject({ status: 200, body: { status: 'PAUSED' } });
}

/** What is wrong with one final job as the API shows it; an empty list when nothing is. */
function problemsOf(job: Submitted, shown: AnyJson): string[] {
  const problems: string[] = [];
  const { completedRuns, failedRuns, skippedRuns, totalRuns, steps } = shown.progress as { completedRuns: number; failedRuns: number; skippedRuns: number; totalRuns: number; steps: Step[] };
  if (shown.status !== 'COMPLETED') problems.push(`${job.id}: ${shown.status}`);
  if (totalRuns !== job.maxRuns) problems.push(`${job.id}: totalRuns ${totalRuns}, expected ${job.maxRuns}`);
  if (completedRuns + failedRuns + skippedRuns !== totalRuns) problems.push(`${job.id}: ${completedRuns} + ${failedRuns} + ${skippedRuns} != ${totalRuns}`);
  const outcomes = new Map<number, number>();
  for (const step of steps) {
    const through = step.state === 'SKIPPED' ? (step.skippedThrough ?? step.iteration) : step.iteration;
    for (let i = step.iteration; i <= through; i += 1) outcomes.set(i, (outcomes.get(i) ?? 0) + 1);
    if (!['SUCCEEDED', 'FAILED', 'SKIPPED'].includes(step.state)) problems.push(`${job.id} #${step.iteration}: ${step.state}`);
    if (step.state === 'SKIPPED' && !step.skipReason) problems.push(`${job.id} #${step.iteration}: SKIPPED without a reason`);
    const planned = Date.parse(job.startDateTime) + step.iteration * HOUR;
    if (Math.abs(Date.parse(step.plannedAt) - planned) >= 1000) problems.push(`${job.id} #${step.iteration}: plannedAt ${step.plannedAt}, planned ${new Date(planned).toISOString()}`);
  }
  for (let i = 0; i < job.maxRuns; i += 1) if (outcomes.get(i) !== 1) problems.push(`${job.id} #${i}: ${outcomes.get(i) ?? 0} outcomes`);
  for (const i of outcomes.keys()) if (i >= job.maxRuns) problems.push(`${job.id} #${i}: beyond the last run`);
  return problems;
}

const stepAt = (shown: AnyJson, iteration: number): Step | undefined =>
  (shown.progress.steps as Step[]).find((s) => s.iteration <= iteration && iteration <= (s.state === 'SKIPPED' ? (s.skippedThrough ?? s.iteration) : s.iteration));

it('holds the invariant for every job through pauses, catch-up from the past and three kill -9', async () => {
  const setup = await childConfig(SPEED);
  let runtime = await startChildRuntime(setup);

  // ---- 1: starts in the past under each catch-up policy, and a workflow paused before its run 0 ---------
  const t0 = Math.ceil((await runtimeNow(runtime)) / MINUTE) * MINUTE;
  const past = new Date(t0 - 6 * HOUR).toISOString(); // runs 0-5 missed at submit, 6-8 to come
  const pausedRun0 = await submit(runtime, { id: 'wf-paused-run0', startDateTime: new Date(t0 + 3 * HOUR).toISOString(), maxRuns: 12, ...WORKFLOW });
  await pause(runtime, pausedRun0.id);
  const pastJobs = {
    actAll: await submit(runtime, { id: 'act-all-past', startDateTime: past, maxRuns: 9, catchUp: 'all', ...ACTION }),
    actOne: await submit(runtime, { id: 'act-one-past', startDateTime: past, maxRuns: 9, ...ACTION }),
    actSkip: await submit(runtime, { id: 'act-skip-past', startDateTime: past, maxRuns: 9, catchUp: 'skip', ...ACTION }),
    wfDefault: await submit(runtime, { id: 'wf-past', startDateTime: past, maxRuns: 9, ...WORKFLOW }),
    wfAll: await submit(runtime, { id: 'wf-all-past', startDateTime: past, maxRuns: 9, catchUp: 'all', ...WORKFLOW }),
  };
  expect((await view(runtime, pausedRun0.id)).progress.completedRuns).toBe(0);
  // Kill 1 in the middle of catching up.
  await waitFor(runtime, pastJobs.actAll.id, (job) => job.progress.completedRuns >= 2);
  await kill9(runtime);
  runtime = await startChildRuntime(setup);

  // ---- 2: two jobs paused after their first run, across their last; kill 2 while three jobs are paused --
  const t1 = Math.ceil((await runtimeNow(runtime)) / MINUTE) * MINUTE;
  const pausedLastWf = await submit(runtime, { id: 'wf-paused-last', startDateTime: new Date(t1 + HOUR).toISOString(), maxRuns: 4, ...WORKFLOW });
  // catchUp skip: the runs missed up to the end are a range the calculator answers with done (Finish records it).
  const pausedLastAct = await submit(runtime, { id: 'act-paused-last', startDateTime: new Date(t1 + HOUR).toISOString(), maxRuns: 3, catchUp: 'skip', ...ACTION });
  // The default catchUp one: the latest missed run runs, though it is the last.
  const pausedLastOne = await submit(runtime, { id: 'act-paused-last-one', startDateTime: new Date(t1 + HOUR).toISOString(), maxRuns: 3, ...ACTION });
  await Promise.all(
    [pausedLastWf, pausedLastAct, pausedLastOne].map(async ({ id }) => {
      await waitFor(runtime, id, (job) => job.progress.completedRuns >= 1);
      await pause(runtime, id);
    }),
  );
  const paused = [pausedRun0, pausedLastWf, pausedLastAct, pausedLastOne];
  const atPause = await Promise.all(paused.map(({ id }) => view(runtime, id)));
  await kill9(runtime);
  runtime = await startChildRuntime(setup);
  const afterRestart = await Promise.all(paused.map(({ id }) => view(runtime, id)));

  // ---- 3: resume past the paused runs; kill 3 once the paused workflow collected ----------------------
  const lastRunOf = (job: Submitted) => Date.parse(job.startDateTime) + (job.maxRuns - 1) * HOUR;
  const resumeAt = Math.max(lastRunOf(pausedLastWf), lastRunOf(pausedLastAct), Date.parse(pausedRun0.startDateTime) + 2 * HOUR) + HOUR;
  await until(() => runtimeNow(runtime), (now) => now >= resumeAt, 120_000);
  const resumed = await Promise.all(paused.map(({ id }) => callJson(runtime.url, 'POST', `/jobs/${id}/resume`)));
  await waitFor(runtime, pausedRun0.id, (job) => job.progress.completedRuns >= 1);
  await kill9(runtime);
  runtime = await startChildRuntime(setup);

  // ---- the end: every job final, then the checks -------------------------------------------------------
  const jobs = [...paused, ...Object.values(pastJobs)];
  const finals = new Map<string, AnyJson>();
  for (const job of jobs) finals.set(job.id, await waitFor(runtime, job.id, (shown) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(shown.status), 180_000));
  const { violations } = await checkTable(documents(runtime), runtime.tableName);
  await kill9(runtime);

  const final = (job: Submitted) => finals.get(job.id)!;
  // The pauses held across a kill, and the resumes were accepted.
  expect(afterRestart.map((job) => [job.status, job.progress.completedRuns])).toEqual(atPause.map((job) => ['PAUSED', job.progress.completedRuns]));
  expect(resumed.map((answer) => answer.status)).toEqual(paused.map(() => 200));
  // The invariant, on what the store holds and on what the API shows.
  expect({ violations, problems: jobs.flatMap((job) => problemsOf(job, final(job))) }).toEqual({ violations: [], problems: [] });

  // A workflow paused across run 0 collects when resumed, then ends with its report.
  expect(stepAt(final(pausedRun0), 0)).toMatchObject({ phase: 'collection', state: 'SUCCEEDED' });
  expect(stepAt(final(pausedRun0), 11)).toMatchObject({ phase: 'report', state: 'SUCCEEDED' });
  expect(final(pausedRun0).progress.skippedRuns).toBeGreaterThan(0);
  // Paused across its last run: a workflow still reports; an action job under catchUp skip records the runs
  // it missed up to its end; under catchUp one it runs the latest of them, its last.
  expect(stepAt(final(pausedLastWf), 3)).toMatchObject({ phase: 'report', state: 'SUCCEEDED' });
  expect(stepAt(final(pausedLastAct), 2)).toMatchObject({ state: 'SKIPPED', skipReason: 'missed' });
  expect(final(pausedLastAct).progress.skippedRuns).toBeGreaterThan(0);
  expect(stepAt(final(pausedLastOne), 2)).toMatchObject({ state: 'SUCCEEDED' });
  // catchUp all runs every missed run (not skipped as overlap); one runs the latest; skip runs none.
  for (let i = 0; i <= 5; i += 1) expect(stepAt(final(pastJobs.actAll), i)).toMatchObject({ state: 'SUCCEEDED' });
  expect(stepAt(final(pastJobs.actOne), 0)).toMatchObject({ state: 'SKIPPED', skipReason: 'missed' });
  expect(stepAt(final(pastJobs.actOne), 0)!.skippedThrough).toBeGreaterThanOrEqual(4);
  expect(stepAt(final(pastJobs.actOne), stepAt(final(pastJobs.actOne), 0)!.skippedThrough! + 1)).toMatchObject({ state: 'SUCCEEDED' });
  expect(stepAt(final(pastJobs.actSkip), 0)).toMatchObject({ state: 'SKIPPED', skipReason: 'missed' });
  expect(stepAt(final(pastJobs.actSkip), 0)!.skippedThrough).toBeGreaterThanOrEqual(5);
  // A workflow started in the past collects first whatever its catch-up.
  for (const wf of [pastJobs.wfDefault, pastJobs.wfAll]) {
    expect(stepAt(final(wf), 0)).toMatchObject({ phase: 'collection', state: 'SUCCEEDED' });
    expect(stepAt(final(wf), 8)).toMatchObject({ phase: 'report', state: 'SUCCEEDED' });
  }
  expect(stepAt(final(pastJobs.wfDefault), 1)).toMatchObject({ state: 'SKIPPED', skipReason: 'missed' });
  for (let i = 0; i <= 5; i += 1) expect(stepAt(final(pastJobs.wfAll), i)).toMatchObject({ state: 'SUCCEEDED' });
}, 480_000);
