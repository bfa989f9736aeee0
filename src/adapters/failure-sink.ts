/**
 * The FailureSink port (src/lib/steps.ts): where a failed run is reported, once per failure.
 *
 * | destination | delivery                                                     | deduplication by the receiver             |
 * |-------------|--------------------------------------------------------------|-------------------------------------------|
 * | sns         | PublishCommand to the topic ARN                              | `idempotencyKey` message attribute (FIFO topics: MessageDeduplicationId) |
 * | sqs         | SendMessageCommand to the queue URL derived from the ARN     | FIFO queues: MessageDeduplicationId = key, MessageGroupId = job id; standard: the attribute |
 * | file        | one NDJSON line appended, local runtime only                 | done here: a key already in the file is not written again |
 * | url         | POST of the JSON report through the webhook guard            | `Idempotency-Key` header                  |
 *
 * The runner marks a run delivered after a delivery, so a retried RecordFailure does not deliver again;
 * a crash between the two may, which is what the idempotency key is for.
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { MessageAttributeValue, SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { optionalEnv } from '../common/config';
import { PermanentError, TransientError } from '../lib/errors';
import type { FailureDestination } from '../lib/job';
import type { FailureReport, FailureSink } from '../lib/steps';
import { toDomainError } from './aws-errors';
import { FilesDir } from './files-dir';
import { guardedFetch, PUBLIC_ONLY, type NetGuard } from './guarded-http';
import { snsSubject } from './notifier';
import { perRegion } from './clients';

/* eslint-disable @typescript-eslint/no-require-imports -- lazy requires, see below */
/**
 * The SNS and SQS clients, required on the first failure sent there: a task's cold start does not load
 * them for jobs that never fail to a topic or a queue (esbuild evaluates a required module on first use).
 */
const snsSdk = () => require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
const sqsSdk = () => require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');

/** SNS and SQS take messages of up to 256 KiB; a report past that drops its copy of the job input. */
const MAX_MESSAGE_BYTES = 256 * 1024 - 1024;
const URL_TIMEOUT_MS = 10_000;

export interface FailureSinkOptions {
  /**
   * Folder `file` destinations must resolve inside (the runtime's --files-dir, or FAILURE_FILE_DIR for
   * `sls invoke local`); absent: file destinations are refused.
   */
  fileDir?: string;
  /** The guard `url` destinations go through. Default: public addresses only. */
  guard?: NetGuard;
  /** Clients per region; built on first use and kept (tests pass their own). */
  snsClient?: (region: string) => SNSClient;
  sqsClient?: (region: string) => SQSClient;
}

interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  name: string;
}

/**
 * The parts of an SNS or SQS ARN.
 * @example parseArn('arn:aws:sqs:eu-central-1:123456789012:jobs-failed.fifo') // { partition: 'aws', service: 'sqs', region: 'eu-central-1', account: '123456789012', name: 'jobs-failed.fifo' }
 */
export function parseArn(arn: string): ParsedArn {
  const [prefix, partition, service, region, account, name, ...rest] = arn.split(':');
  if (prefix !== 'arn' || !partition || !service || !region || !account || !name || rest.length > 0) {
    throw new PermanentError(`failure destination ${arn} is not an SNS topic or SQS queue ARN`);
  }
  return { partition, service, region, account, name };
}

/**
 * The queue URL of an SQS queue ARN (the API addresses queues by URL).
 * @example queueUrlOf('arn:aws:sqs:us-east-1:123456789012:step-scheduler-dev-failures') // 'https://sqs.us-east-1.amazonaws.com/123456789012/step-scheduler-dev-failures'
 */
export function queueUrlOf(arn: string): string {
  const { partition, region, account, name } = parseArn(arn);
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}

/** The report as a message body, within the 256 KiB SNS/SQS limit (the job input is left out if need be). */
function messageBody(report: FailureReport): string {
  const full = JSON.stringify(report);
  if (Buffer.byteLength(full, 'utf8') <= MAX_MESSAGE_BYTES) return full;
  return JSON.stringify({ ...report, input: { omitted: 'the job input is larger than a message may be; see GET /jobs/{id}' } });
}

/** A failed SNS/SQS delivery in domain terms: a destination that refuses the report refuses it again. */
function awsError(what: string, error: unknown): unknown {
  return toDomainError(error, what, { refused: 'permanent' });
}

function keyAttribute(report: FailureReport): Record<string, MessageAttributeValue> {
  return {
    idempotencyKey: { DataType: 'String', StringValue: report.idempotencyKey },
    jobId: { DataType: 'String', StringValue: report.jobId },
  };
}


/**
 * What is known of each outbox file in this process: the idempotency keys in it, as of its size then.
 * Shared by every sink, and appends to one file are serialised, so two deliveries of one key — from one
 * sink or two — cannot both pass the check. A file whose size changed behind our back is read again.
 */
const outboxFiles = new Map<string, { size: number; keys: Set<string> }>();
const outboxQueues = new Map<string, Promise<unknown>>();

function keysIn(text: string): Set<string> {
  const keys = new Set<string>();
  for (const line of text.split('\n')) {
    try {
      const key = (JSON.parse(line) as { idempotencyKey?: unknown }).idempotencyKey;
      if (typeof key === 'string') keys.add(key);
    } catch {
      // Not a report line (a partial last line, a line someone added): no key to remember.
    }
  }
  return keys;
}

/** Appends NDJSON lines to files inside one folder, each idempotency key once per file. */
class FileOutbox {
  constructor(private readonly dir: string | undefined) {}

  async append(file: string, report: FailureReport): Promise<void> {
    const target = await this.resolveInside(file);
    const previous = outboxQueues.get(target) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.appendOnce(target, report));
    outboxQueues.set(target, next);
    await next;
  }

  private opened: Promise<FilesDir> | undefined;

  /** The real path, or PermanentError when file destinations are off or the path leaves the folder. */
  private async resolveInside(file: string): Promise<string> {
    if (this.dir === undefined) {
      throw new PermanentError(`failure destination file ${file}: file destinations are for the local runtime (FAILURE_FILE_DIR is not set); use sns, sqs or url`);
    }
    // The runtime checked at start that the folder holds none of its own files (FilesDir.open there).
    this.opened ??= FilesDir.open(this.dir, []);
    const files = await this.opened;
    const what = 'failure destination file';
    // Resolved before any folder is made, so mkdir never follows a link out; again after, for a link
    // swapped in meanwhile. The file itself is opened with O_NOFOLLOW.
    await mkdir(path.dirname(await files.resolve(file, what)), { recursive: true });
    return files.resolve(file, what);
  }

  private async appendOnce(target: string, report: FailureReport): Promise<void> {
    // O_NOFOLLOW: the file itself may not be a link pointing elsewhere.
    const handle = await open(target, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600).catch((error: NodeJS.ErrnoException) => {
      const permanent = ['ELOOP', 'EISDIR', 'EACCES', 'EPERM', 'ENOTDIR'].includes(error.code ?? '');
      const message = `failure destination file ${target} cannot be written (${error.code ?? error.message})`;
      throw permanent ? new PermanentError(message, { cause: error }) : new TransientError(message, { cause: error });
    });
    try {
      const { size } = await handle.stat();
      let known = outboxFiles.get(target);
      if (known?.size !== size) {
        known = { size, keys: keysIn(await readFile(handle, 'utf8')) };
        outboxFiles.set(target, known);
      }
      if (known.keys.has(report.idempotencyKey)) return;
      const line = `${JSON.stringify(report)}\n`;
      await handle.appendFile(line, 'utf8');
      known.keys.add(report.idempotencyKey);
      known.size = size + Buffer.byteLength(line, 'utf8');
    } finally {
      await handle.close();
    }
  }
}

/**
 * A FailureSink for every destination type.
 * @example const sink = createFailureSink({ fileDir: '.data' }); await sink.deliver({ type: 'file', path: 'failures.ndjson' }, report)
 */
export function createFailureSink(options: FailureSinkOptions = {}): FailureSink {
  const sns = options.snsClient ?? perRegion((region) => new (snsSdk().SNSClient)({ region }));
  const sqs = options.sqsClient ?? perRegion((region) => new (sqsSdk().SQSClient)({ region }));
  const outbox = new FileOutbox(options.fileDir);
  const guard = options.guard ?? PUBLIC_ONLY;

  const deliverers: { [T in FailureDestination['type']]: (destination: Extract<FailureDestination, { type: T }>, report: FailureReport) => Promise<void> } = {
    async sns(destination, report) {
      const arn = parseArn(destination.arn);
      const fifo = arn.name.endsWith('.fifo');
      try {
        await sns(arn.region).send(
          new (snsSdk().PublishCommand)({
            TopicArn: destination.arn,
            Subject: snsSubject(`Run ${report.iteration + 1} of job ${report.jobId} failed`),
            Message: messageBody(report),
            // Standard topics have no deduplication: the key rides along for the subscriber to drop repeats.
            MessageAttributes: keyAttribute(report),
            ...(fifo ? { MessageDeduplicationId: report.idempotencyKey, MessageGroupId: report.jobId } : {}),
          }),
        );
      } catch (error) {
        throw awsError(`SNS publish of failure ${report.idempotencyKey} to ${destination.arn}`, error);
      }
    },

    async sqs(destination, report) {
      const arn = parseArn(destination.arn);
      const fifo = arn.name.endsWith('.fifo');
      try {
        await sqs(arn.region).send(
          new (sqsSdk().SendMessageCommand)({
            QueueUrl: queueUrlOf(destination.arn),
            MessageBody: messageBody(report),
            MessageAttributes: keyAttribute(report),
            // FIFO queues drop a repeat of the same deduplication id within 5 minutes; one job's failures stay in order.
            ...(fifo ? { MessageDeduplicationId: report.idempotencyKey, MessageGroupId: report.jobId } : {}),
          }),
        );
      } catch (error) {
        throw awsError(`SQS send of failure ${report.idempotencyKey} to ${destination.arn}`, error);
      }
    },

    async file(destination, report) {
      await outbox.append(destination.path, report);
    },

    async url(destination, report) {
      const target = new URL(destination.url);
      const what = `failure destination POST ${target.origin}${target.pathname}`;
      const response = await guardedFetch(
        destination.url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': report.idempotencyKey },
          body: JSON.stringify(report),
        },
        { timeoutMs: URL_TIMEOUT_MS, maxBytes: 4096, what, guard },
      );
      if (response.status >= 200 && response.status <= 299) return;
      const message = `${what} answered ${response.status}`;
      // 3xx is not followed (the guard checked this address, not wherever it points); 429 and 5xx may pass later.
      throw response.status === 429 || response.status >= 500 ? new TransientError(message) : new PermanentError(message);
    },
  };

  return {
    deliver(destination, report) {
      return (deliverers[destination.type] as (d: FailureDestination, r: FailureReport) => Promise<void>)(destination, report);
    },
  };
}

/**
 * The Lambda's sink: FAILURE_FILE_DIR (unset on AWS, so file destinations are refused) and the guard.
 * @example failureSinkFromEnv(process.env, netGuardFromEnv())
 */
export function failureSinkFromEnv(env: NodeJS.ProcessEnv = process.env, guard: NetGuard = PUBLIC_ONLY): FailureSink {
  const fileDir = optionalEnv('FAILURE_FILE_DIR', env);
  return createFailureSink({ ...(fileDir === undefined ? {} : { fileDir }), guard });
}
