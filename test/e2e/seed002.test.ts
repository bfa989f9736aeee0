/**
 * Seed 002's own example, posted as its README shows (a workflow every 5 minutes from 2021 to 2030), on a
 * runtime at real time: the job must collect before it processes, whatever catch-up skips. It failed within
 * seconds before ("collection manifest (run 0) is missing"), the default catch-up having skipped run 0.
 */
import { startRuntime, type Runtime } from '../../src/local/runtime';
import { until } from '../support/http';

// 002_af2fa0f78214b295.txt, "Example" (lines 133-143), as written.
const SEED_002_EXAMPLE = {
  id: 'task',
  startDateTime: '2021-02-22T03:05:00.000Z',
  endDateTime: '2030-01-01T00:00:00.000Z',
  frequency: { minutes: 5 },
  context: { name: 'Curtis' },
};

let runtime: Runtime;

beforeAll(async () => {
  runtime = await startRuntime({ port: 0, sfnPort: 0, dynamoPort: 0, memory: true, staticFiles: async () => false });
});

afterAll(async () => {
  await runtime.close();
});

interface Step {
  iteration: number;
  phase: string;
  state: string;
  skippedThrough?: number;
  error: { message: string } | null;
}

it('collects first, then catches up to the run due now as a processing run, the missed ones recorded skipped', async () => {
  const posted = await fetch(`${runtime.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SEED_002_EXAMPLE) });
  expect(posted.status).toBe(201);

  const view = await until(
    async () => (await (await fetch(`${runtime.url}/jobs/task`)).json()) as { status: string; progress: { completedRuns: number; skippedRuns: number; steps: Step[] } },
    (job) => job.progress.completedRuns >= 2 || job.status === 'FAILED',
    60_000,
  );

  expect(view.status).not.toBe('FAILED');
  const [collection, skipped, processing] = view.progress.steps;
  expect(collection).toMatchObject({ iteration: 0, phase: 'collection', state: 'SUCCEEDED' });
  // The five-minute runs from 2021 until now were missed: one SKIPPED item stands for them all.
  expect(skipped).toMatchObject({ iteration: 1, state: 'SKIPPED' });
  expect(processing).toMatchObject({ iteration: (skipped?.skippedThrough ?? 0) + 1, phase: 'processing', state: 'SUCCEEDED', error: null });
  expect(view.progress.skippedRuns).toBe(processing!.iteration - 1);
  expect(view.progress.skippedRuns).toBeGreaterThan(100_000);
}, 90_000);
