/**
 * What the step tests share: a real HTTP server on 127.0.0.1 (port 0) per test, a job and a step
 * context built from literals, and a RunHistory over literal RunRecords.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NetGuard } from '../../../src/adapters/guarded-http';
import { parseJob, type Job, type JobInput, type Schedule } from '../../../src/lib/job';
import { parseAllowList } from '../../../src/lib/net-guard';
import type { Notification, Notifier, RunHistory, StepContext } from '../../../src/lib/steps';
import type { RunRecord } from '../../../src/lib/store';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface TestServer {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** The webhook guard refuses loopback addresses; the test servers listen on 127.0.0.1, allow-listed here. */
export const LOOPBACK_GUARD = new NetGuard({ allowList: parseAllowList('127.0.0.1') });

/** A loopback HTTP server answering with `respond`; it records every request it received in full. */
export async function startServer(respond: (req: ReceivedRequest, res: ServerResponse) => void): Promise<TestServer> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(received);
      respond(received, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // A slow-server test leaves a response pending; close it rather than wait for it.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A seven-run daily workflow (seed 000's week) with the given config. */
export function workflowJob(config: NonNullable<JobInput['config']> = {}, overrides: Partial<JobInput> = {}): Job {
  return parseJob({
    id: 'weekly-1',
    startDateTime: '2024-12-04T10:00:00Z',
    endDateTime: '2024-12-10T10:00:00Z',
    frequency: { days: 1 },
    config,
    ...overrides,
  });
}

export function schedule(iteration: number, totalRuns: number | null, phase: Schedule['phase']): Schedule {
  return { iteration, runAt: '2024-12-04T10:00:00Z', phase, isLast: totalRuns !== null && iteration === totalRuns - 1, done: false, totalRuns };
}

/** A RunHistory over literal runs: the input a step reads, as the store would hand it over. */
export function historyOf(runs: RunRecord[]): RunHistory {
  return {
    getRun: async (iteration) => runs.find((run) => run.iteration === iteration),
    finishedRuns: async () => runs.filter((run) => run.state !== 'STARTED').sort((a, b) => a.iteration - b.iteration),
  };
}

export { succeededRun } from '../../support/runs';

/** A notifier that keeps what it was asked to send. */
export function recordingNotifier(): Notifier & { sent: Notification[] } {
  const sent: Notification[] = [];
  return {
    sent,
    publish: async (notification) => {
      sent.push(notification);
      return { messageId: `msg-${sent.length}` };
    },
  };
}

export function contextFor(job: Job, at: Schedule, runs: RunRecord[] = [], notifier: Notifier = recordingNotifier()): StepContext {
  return {
    job,
    schedule: at,
    attempt: 1,
    history: historyOf(runs),
    notifier,
    now: () => new Date('2024-12-10T10:00:05.000Z'),
  };
}
