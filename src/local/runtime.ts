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
 * | targets (SQS, SNS, Lambda, EventBridge, Step Functions) | the stand-in outbox, GET /outbox      |
 */
import path from 'node:path';
import { setClock } from '../common/clock';
import { logger } from '../common/logger';
import { createDocumentClient, createDynamoStores } from '../adapters/dynamodb';
import type { Transport } from '../adapters/dynamodb/client';
import { DynamoDbRunDurations } from '../adapters/dynamodb-stats';
import { createNotifier } from '../adapters/notifier';
import { createSfnClient, StepFunctionsExecutions } from '../adapters/sfn';
import { createCalculatorHandler } from '../functions/calculator/handler';
import { createTaskHandler } from '../functions/task/handler';
import { createApi } from '../functions/api/app';
import { createEventsHandler } from '../functions/events/handler';
import { executionArnFor, type ExecutionService } from '../lib/executions';
import { JobService } from '../lib/job-service';
import type { JobStore, RequestStore } from '../lib/store';
import type { RunLedger } from '../lib/ledger';
import { createSteps } from '../steps/registry';
import { createFailureSink } from '../adapters/failure-sink';
import { FilesDir } from '../adapters/files-dir';
import { LocalTargets } from '../adapters/targets/local';
import { NetGuard } from '../adapters/guarded-http';
import { parseAllowList } from '../lib/net-guard';
import { LOCAL_STATE_MACHINE_ARN } from './engine';
import { LocalExecutions, LocalSfnError, type ExecutionInfo } from './executions';
import { dashboardFiles } from './dashboard-files';
import { generateCredentials, type LocalCredentials } from './credentials';
import { startLocalDynamo } from './dynamo';
import { startHttpGateway, type StaticHandler } from './http-gateway';
import { inProcessSfnHandler, startSfnServer } from './sfn-server';
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
  /** The in-process transport to that DynamoDB the runtime's own clients use (`createDocumentClient(config, transport)`). */
  dynamoTransport: Transport;
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
  extras: RequestStore;
  runs: RunLedger;
  close(): Promise<void>;
}

/**
 * The engine as an ExecutionService, in process, for the restart: resumed jobs start at once, without the
 * SDK's HTTP round trip to the loopback endpoint (seconds on a loaded machine, which a warped clock turns
 * into days of runs the catch-up policy then skips). Same contract as the SDK adapter: a name that already
 * ran answers its ARN, stopping an unknown execution is no error.
 */
function inProcessExecutions(executions: LocalExecutions): ExecutionService {
  return {
    async start(name, input) {
      try {
        return { executionArn: executions.start(name, input).executionArn };
      } catch (error) {
        if (error instanceof LocalSfnError && error.code === 'ExecutionAlreadyExists') return { executionArn: executionArnFor(LOCAL_STATE_MACHINE_ARN, name) };
        throw error;
      }
    },
    arnOf: (name) => executionArnFor(LOCAL_STATE_MACHINE_ARN, name),
    async stop(executionArn, cause) {
      try {
        executions.stop(executionArn, { cause });
      } catch (error) {
        if (!(error instanceof LocalSfnError && error.code === 'ExecutionDoesNotExist')) throw error;
      }
    },
    async ping() {},
  };
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
  // The runtime's own clients reach dynalite in process (no socket): see LocalDynamo.requestHandler.
  const transport = { requestHandler: dynamo.requestHandler };
  const documents = createDocumentClient({ tableName, endpoint: dynamo.endpoint, credentials }, transport);
  const stores = createDynamoStores(documents, tableName);
  const { jobs: store, requests: extras, runs } = stores;
  const guard = new NetGuard({ allowList: parseAllowList(options.allowHosts, 'allowHosts') });
  // Targets (sqs, sns, lambda, eventbridge, stepfunctions) and notifications land in the stand-in outbox (GET /outbox).
  const targets = new LocalTargets({ ...(options.memory ? {} : { dir: path.join(dataDir, 'outbox') }), now });
  const notifier = targets.recording(createNotifier({ NOTIFY_OUTBOX: outboxFile }));

  // Bound once the job service exists (below); executions only announce changes once started.
  let events: (event: unknown) => Promise<unknown> = async () => undefined;
  const executions = new LocalExecutions({
    stateMachineArn: LOCAL_STATE_MACHINE_ARN,
    functions: {
      // With waits skipped time is not real, so no run counts as missed (see createCalculatorHandler).
      calculator: createCalculatorHandler(() => (clock.speed === 0 ? undefined : clock.now())),
      task: createTaskHandler(() => ({
        ...stores,
        steps: createSteps({ guard, targets, ...(files ? { files } : {}) }),
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
    // What the EventBridge rule delivers on AWS, to the same handler: the job record follows its executions.
    onStatusChange: (event) => events(event).then(() => undefined),
  });
  started.push(() => executions.close());
  const sfn = await startSfnServer(executions, options.sfnPort ?? 0, credentials);
  started.push(() => sfn.close());

  // A warped clock restarts at real time; carry it on from the latest time the store has seen instead,
  // so a restarted runtime never writes timestamps earlier than the ones before it — and before the API
  // answers, so no client ever reads an earlier time on /health than before the restart.
  // The API and the restart below use the job service on the same ports; the API starts executions through
  // the Step Functions API, as on AWS (the SDK adapter and the service's JSON protocol, handed to the local
  // endpoint in process rather than over a socket: inProcessSfnHandler); the restart in process (see
  // inProcessExecutions).
  const ports = {
    store,
    extras,
    runs,
    executions: new StepFunctionsExecutions(createSfnClient({ endpoint: sfn.endpoint, credentials, requestHandler: inProcessSfnHandler(executions) }), LOCAL_STATE_MACHINE_ARN),
    runDurations: new DynamoDbRunDurations(createDocumentClient({ tableName, endpoint: dynamo.endpoint, credentials }, transport), tableName),
    now,
  };
  const service = new JobService({ ...ports, executions: inProcessExecutions(executions) });
  events = createEventsHandler(() => service);
  const jobs = await service.allJobs();
  const latest = Math.max(0, ...jobs.map((job) => Date.parse(job.updatedAt)).filter(Number.isFinite));
  if (clock.speed !== 1) clock.advanceTo(latest);

  const api = createApi({
    ...ports,
    urlGuard: guard,
    ...(options.apiToken ? { apiToken: options.apiToken } : {}),
    ...(options.allowOrigin ? { allowOrigin: options.allowOrigin } : {}),
    ...(files ? { files } : {}),
    outbox: targets,
  });
  const gateway = await startHttpGateway(api, { port: options.port ?? 3000, staticFiles: options.staticFiles ?? dashboardFiles() });
  started.push(() => gateway.close());

  // Every unfinished job and trigger or backfill again from its stored cursor (see JobService.resumeUnfinished).
  const { jobs: resumed, requests: resumedRequests } = options.resume === false ? { jobs: [], requests: [] } : await service.resumeUnfinished(jobs);

  return {
    url: gateway.url,
    sfnEndpoint: sfn.endpoint,
    dynamoEndpoint: dynamo.endpoint,
    dynamoTransport: transport,
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
    runs,
    close: closeAll,
  };
}
