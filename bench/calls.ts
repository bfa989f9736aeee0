/**
 * DynamoDB calls per scenario, counted on the document client (its `send`, wrapped for the bench only) in
 * the local runtime with waits skipped: a 7-day workflow from POST /jobs to COMPLETED, a one-off message
 * job the same, and one GET /jobs/{id}. Calls are what a run costs on AWS (each is a billed request and a
 * round trip); the reference is the fewest the exactly-once protocol needs (see the rows' notes).
 */
import { apiClient, callCounter, oneOffMessage, quietLogs, row, sevenDayWorkflow, withTimeout, type FigureResult } from './common';

type Counts = Record<string, number>;

export async function run(): Promise<FigureResult> {
  quietLogs();
  const counter = callCounter();
  const measure = async (fn: () => Promise<unknown>): Promise<{ total: number; byCommand: Counts }> => {
    counter.start();
    try {
      await fn();
    } finally {
      counter.stop();
    }
    const byCommand = { ...counter.counts };
    return { total: counter.total(byCommand), byCommand };
  };
  const { startRuntime } = await import('../src/local/runtime');
  const runtime = await startRuntime({ speed: 0, memory: true, port: 0 });
  const api = apiClient(runtime.url);
  const stamp = Date.now();
  try {
    // One of each first, uncounted, so first-use costs (table warm-up, module loads) stay out.
    await api.post('/jobs', sevenDayWorkflow(`calls-warm-${stamp}`));
    await withTimeout('calls: warm-up', 60_000, runtime.executions.idle());

    const workflowId = `calls-7day-${stamp}`;
    const workflow = await measure(async () => {
      await api.post('/jobs', sevenDayWorkflow(workflowId));
      await withTimeout('calls: 7-day workflow', 60_000, runtime.executions.idle());
    });
    const oneOff = await measure(async () => {
      await api.post('/jobs', oneOffMessage(`calls-once-${stamp}`, new Date(runtime.clock.now().getTime())));
      await withTimeout('calls: one-off job', 60_000, runtime.executions.idle());
    });
    const detail = await measure(async () => {
      const { status } = await api.request('GET', `/jobs/${workflowId}`);
      if (status !== 200) throw new Error(`GET /jobs/${workflowId} answered ${status}`);
    });
    const status = (await runtime.store.getJob(workflowId))?.status;
    const describe = (c: { byCommand: Counts }) => Object.entries(c.byCommand).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k.replace(/Command$/, '')} ${v}`).join(', ');
    return {
      name: 'calls',
      rows: [
        row({
          figure: 'calls: DynamoDB calls per 7-day workflow (POST → COMPLETED)',
          measured: workflow.total,
          unit: '',
          // POST: put the job listing its execution, the status event's read of it (2); per run: begin's job
          // touch + run item, settle's run item + job count (4 × 7 = 28); the report's query of the runs (1);
          // finish (1).
          reference: { value: 32, unit: '', what: '2 to create + 4 per run × 7 + the report\'s query + 1 to finish' },
          target: '≤ 32',
          met: workflow.total <= 32,
          note: `${status}; ${describe(workflow)}`,
        }),
        row({
          figure: 'calls: DynamoDB calls per one-off job',
          measured: oneOff.total,
          unit: '',
          reference: { value: 7, unit: '', what: '2 to create + 4 for its run + 1 to finish' },
          target: 'informational',
          met: null,
          note: describe(oneOff),
        }),
        row({
          figure: 'calls: DynamoDB calls per GET /jobs/{id}',
          measured: detail.total,
          unit: '',
          reference: { value: 2, unit: '', what: 'the job item + its runs' },
          target: 'informational',
          met: null,
          note: describe(detail),
        }),
      ],
      details: { workflow, oneOff, detail },
    };
  } finally {
    await runtime.close();
  }
}
