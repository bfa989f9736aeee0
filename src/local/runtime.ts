/**
 * The embedded runtime: the whole scheduler in one Node process, on loopback only. It wires real parts
 * together and adds no behaviour of its own beyond what AWS would provide:
 *
 * | AWS                         | here                                                              |
 * |-----------------------------|-------------------------------------------------------------------|
 * | DynamoDB                    | dynalite (on disk under the data folder, or in memory)            |
 * | Step Functions              | aws-local-stepfunctions running the same ASL (LocalExecutions)    |
 * | the Step Functions API      | a loopback endpoint speaking its JSON protocol (sfn-server)       |
 * | API Gateway → api Lambda    | an HTTP server turning requests into proxy events (http-gateway)  |
 * | Lambda                      | the same handler modules, called in process                       |
 * | SNS                         | the local notifier: a log line and an NDJSON outbox file          |
 */
import path from 'node:path';
import { setClock } from '../common/clock';
import { logger } from '../common/logger';
import { createDocumentClient } from '../adapters/dynamodb';
import { DynamoDbJobStore } from '../adapters/dynamodb-store';
import { DynamoDbExtraRunStore } from '../adapters/dynamodb-extra-store';
import { DynamoDbRunDurations } from '../adapters/dynamodb-stats';
import { createNotifier } from '../adapters/notifier';
import { createSfnClient, StepFunctionsExecutions } from '../adapters/sfn';
import { createCalculatorHandler } from '../functions/calculator/handler';
import { createTaskHandler } from '../functions/task/handler';
import { createApi } from '../functions/api/app';
import { resumeFrom } from '../lib/continue-as-new';
import { isFinalStatus, PAUSED } from '../lib/status';
import type { JobRecord, JobStore } from '../lib/store';
import { requestExecution, type ExtraRunStore } from '../lib/extra-runs';
import { createSteps } from '../steps/registry';
import { createFailureSink } from '../adapters/failure-sink';
import { FilesDir } from '../adapters/files-dir';
import { NetGuard } from '../adapters/guarded-http';
import { parseAllowList } from '../lib/net-guard';
import { LOCAL_STATE_MACHINE_ARN } from './engine';
import { LocalExecutions, type ExecutionInfo } from './executions';
import { dashboardFiles } from './dashboard-files';
import { generateCredentials, type LocalCredentials } from './credentials';
import { startLocalDynamo } from './dynamo';
import { startHttpGateway, type StaticHandler } from './http-gateway';
import { startSfnServer } from './sfn-server';
import { WarpClock } from './warp-clock';

export { LOCAL_STATE_MACHINE_ARN };

export interface RuntimeOptions {
  /** HTTP API port; 0 picks a free one. Default 3000. */
  port?: number;
  /** Step Functions endpoint port; default 0 (free). */
  sfnPort?: number;
  /** DynamoDB endpoint port; default 0 (free). */
  dynamoPort?: number;
  /** Folder for DynamoDB data and the notification outbox; default `.data`. */
  dataDir?: string;
  /** Keep DynamoDB in memory (a throwaway store). */
  memory?: boolean;
  /** Warped seconds per real second; 0 skips waits. Default 1 (real time). */
  speed?: number;
  /** Bearer token the API requires on every route but /health; none by default on loopback. */
  apiToken?: string;
  /** Resume unfinished jobs from their stored cursor on start. Default true. */
  resume?: boolean;
  /** Serves the dashboard's files; default: the dashboard built from src/dashboard at start. */
  staticFiles?: StaticHandler;
  /**
   * Exceptions to the webhook guard, for local testing: host names and CIDRs (`127.0.0.1`, `localhost`,
   * `10.0.0.0/8`) that webhooks, data sources and failure URLs may call. Default: public addresses only.
   */
  allowHosts?: string | readonly string[];
  /**
   * The one folder jobs may read `file:` data sources from and write `file` failure destinations to
   * (`--files-dir`); it may not hold or lie inside the store's folder or the outbox. Default: none, and
   * jobs using files are refused.
   */
  filesDir?: string;
  /** An origin (`https://ops.example.com`, or `*`) whose pages may call the API from a browser; default none. */
  allowOrigin?: string;
  /** The keys the DynamoDB and Step Functions endpoints accept; default: a fresh pair for this start. */
  credentials?: LocalCredentials;
}

export interface Runtime {
  url: string;
  sfnEndpoint: string;
  dynamoEndpoint: string;
  tableName: string;
  stateMachineArn: string;
  /** The only keys the DynamoDB and Step Functions endpoints accept (for clients of your own, `sls invoke local`). */
  credentials: LocalCredentials;
  /** The files folder's real path, when one was given. */
  filesDir?: string;
  store: JobStore;
  executions: LocalExecutions;
  clock: WarpClock;
  /** Job ids resumed at start. */
  resumed: string[];
  /** Trigger and backfill requests resumed at start. */
  resumedRequests: string[];
  extras: ExtraRunStore;
  close(): Promise<void>;
}

async function allJobs(store: JobStore): Promise<JobRecord[]> {
  const jobs: JobRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listJobs({ limit: 100, cursor });
    jobs.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return jobs;
}

/**
 * Start every unfinished job again from the cursor stored in DynamoDB: the input shape ContinueAsNew
 * uses, so a run that finished is never run again and one cut off mid-way is attempted again.
 */
async function resume(store: JobStore, executions: LocalExecutions, jobs: JobRecord[]): Promise<string[]> {
  const resumed: string[] = [];
  // A paused job stays paused across a restart: POST /jobs/{id}/resume starts it again.
  for (const record of jobs.filter((job) => !isFinalStatus(job.status) && job.status !== PAUSED)) {
    const previous = record.cursor >= 0 ? await store.getRun(record.jobId, record.cursor) : undefined;
    const { name, input } = resumeFrom(record, previous?.result);
    const info = executions.start(name, input);
    await store.recordExecution(record.jobId, info.executionArn, executions.now());
    resumed.push(record.jobId);
  }
  return resumed;
}

/**
 * Start every trigger or backfill that was still running again from its stored cursor (on AWS its
 * execution would simply have gone on). Whatever its job's status: a backfill may run on a finished job.
 */
async function resumeRequests(extras: ExtraRunStore, executions: LocalExecutions, jobs: JobRecord[]): Promise<string[]> {
  const resumed: string[] = [];
  for (const record of jobs) {
    for (const request of await extras.listRunningRequests(record.jobId)) {
      const previous = request.cursor >= 0 ? await extras.getRun(record.jobId, request.requestId, request.cursor) : undefined;
      const { name, input } = requestExecution(record.job, request, previous?.state === 'SUCCEEDED' ? previous.result : undefined);
      const info = executions.start(name, input);
      await extras.recordExecution(record.jobId, request.requestId, info.executionArn);
      resumed.push(request.requestId);
    }
  }
  return resumed;
}

export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  // Parts started so far, closed in reverse if a later one fails (a port in use), so nothing leaks.
  const started: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of started.reverse()) await close();
  };
  try {
    return await start(options, started, closeAll);
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function start(options: RuntimeOptions, started: Array<() => Promise<void>>, closeAll: () => Promise<void>): Promise<Runtime> {
  const dataDir = path.resolve(options.dataDir ?? '.data');
  const clock = new WarpClock(options.speed ?? 1);
  setClock(clock);
  const now = () => clock.now();

  const credentials = options.credentials ?? generateCredentials();
  const outboxFile = options.memory ? undefined : path.join(dataDir, 'outbox.ndjson');
  // Checked before anything starts: a files folder holding the store would let a job overwrite it.
  const files = options.filesDir === undefined ? undefined : await FilesDir.open(options.filesDir, [path.join(dataDir, 'dynamodb'), path.join(dataDir, 'outbox.ndjson')]);

  const dynamo = await startLocalDynamo({
    ...(options.memory ? {} : { path: path.join(dataDir, 'dynamodb') }),
    port: options.dynamoPort ?? 0,
    credentials,
  });
  started.push(() => dynamo.stop());
  const tableName = dynamo.tableName;
  const documents = createDocumentClient({ tableName, endpoint: dynamo.endpoint, credentials });
  const store = new DynamoDbJobStore(documents, tableName);
  const extras = new DynamoDbExtraRunStore(documents, tableName);
  const guard = new NetGuard({ allowList: parseAllowList(options.allowHosts, 'allowHosts') });
  const notifier = createNotifier({ NOTIFY_OUTBOX: outboxFile });

  const executions = new LocalExecutions({
    stateMachineArn: LOCAL_STATE_MACHINE_ARN,
    functions: {
      // With waits skipped time is not real, so no run counts as missed (see createCalculatorHandler).
      calculator: createCalculatorHandler(() => (clock.speed === 0 ? undefined : clock.now())),
      task: createTaskHandler(() => ({
        store,
        extras,
        steps: createSteps({ guard, ...(files ? { files } : {}) }),
        notifier,
        now,
        // The job's own retry backoff waits on the warped clock (speed 0: no wait at all).
        sleep: (ms) => clock.sleepUntil(clock.now().getTime() + ms),
        // `file` failure destinations resolve inside the files folder (none: refused).
        failures: createFailureSink({ ...(files ? { fileDir: files.root } : {}), guard }),
      })),
    },
    clock,
    onSettled: (info: ExecutionInfo) => logger.debug('execution settled', { executionArn: info.executionArn, status: info.status }),
  });
  started.push(() => executions.close());
  const sfn = await startSfnServer(executions, options.sfnPort ?? 0, credentials);
  started.push(() => sfn.close());

  // A warped clock restarts at real time; carry it on from the latest time the store has seen instead,
  // so a restarted runtime never writes timestamps earlier than the ones before it — and before the API
  // answers, so no client ever reads an earlier time on /health than before the restart.
  const jobs = await allJobs(store);
  const latest = Math.max(0, ...jobs.map((job) => Date.parse(job.updatedAt)).filter(Number.isFinite));
  if (clock.speed !== 1) clock.advanceTo(latest);

  const api = createApi({
    store,
    extras,
    executions: new StepFunctionsExecutions(createSfnClient({ endpoint: sfn.endpoint, credentials }), LOCAL_STATE_MACHINE_ARN),
    runDurations: new DynamoDbRunDurations(createDocumentClient({ tableName, endpoint: dynamo.endpoint, credentials }), tableName),
    now,
    urlGuard: guard,
    ...(options.apiToken ? { apiToken: options.apiToken } : {}),
    ...(options.allowOrigin ? { allowOrigin: options.allowOrigin } : {}),
    ...(files ? { files } : {}),
  });
  const gateway = await startHttpGateway(api, { port: options.port ?? 3000, staticFiles: options.staticFiles ?? dashboardFiles() });
  started.push(() => gateway.close());

  const resumed = options.resume === false ? [] : await resume(store, executions, jobs);
  const resumedRequests = options.resume === false ? [] : await resumeRequests(extras, executions, jobs);

  return {
    url: gateway.url,
    sfnEndpoint: sfn.endpoint,
    dynamoEndpoint: dynamo.endpoint,
    tableName,
    stateMachineArn: LOCAL_STATE_MACHINE_ARN,
    credentials,
    ...(files ? { filesDir: files.root } : {}),
    store,
    executions,
    clock,
    resumed,
    resumedRequests,
    extras,
    close: closeAll,
  };
}
