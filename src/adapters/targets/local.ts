/**
 * The local runtime's stand-in for every target: it keeps each request it receives, never drops one, and
 * lets a user read them (`GET /outbox?target=&jobId=`). On disk one NDJSON file per target type under
 * `<dataDir>/outbox/` (`sqs.ndjson`, …, `notification.ndjson`); in memory with `--memory`.
 *
 * It answers as the services would where that matters to the scheduler:
 * - a Step Functions execution name already started, or a FIFO deduplication id already received, is not
 *   kept twice (the service drops the repeat; the first receipt is answered again);
 * - a resource whose name contains `-refuse` refuses as AWS refuses a forbidden call (AccessDenied, 403): a
 *   permanent failure, the run FAILED;
 * - a resource whose name contains `-throttle` throttles (ThrottlingException, 400) the first attempt of each
 *   run, then accepts it: the ASL retries it.
 * Both errors go through the one classifier (src/adapters/aws-errors.ts), as an SDK error would.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { logger } from '../../common/logger';
import type { JsonObject } from '../../lib/json';
import type { Notifier } from '../../lib/steps';
import { TARGET_TYPES } from '../../lib/job';
import type { OutboxEntry, OutboxFilter, TargetOutbox, TargetReceipt, TargetRequest, TargetSender } from '../../lib/targets';
import { toDomainError } from '../aws-errors';

const KINDS = [...TARGET_TYPES, 'notification'] as const;

/** An error shaped as the AWS SDK throws them, so the classifier decides on it as it would on AWS. */
function awsShapedError(name: string, httpStatusCode: number, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode } });
}

/** What makes a repeat of the same request the same delivery: the service's own deduplication. */
function dedupKey(request: TargetRequest): string | undefined {
  if (request.target === 'stepfunctions') return `${request.stateMachineArn}|${request.executionName}`;
  if ((request.target === 'sqs' || request.target === 'sns') && request.messageDeduplicationId !== undefined) return `${request.resource}|${request.messageDeduplicationId}`;
  return undefined;
}

function receiptFor(request: TargetRequest): TargetReceipt {
  const id = `local-${randomUUID()}`;
  switch (request.target) {
    case 'sqs':
    case 'sns':
      return { messageId: id };
    case 'lambda':
      return { statusCode: request.invocationType === 'Event' ? 202 : 200 };
    case 'eventbridge':
      return { eventId: id };
    case 'stepfunctions':
      return { executionArn: `${request.stateMachineArn.replace(':stateMachine:', ':execution:')}:${request.executionName}`, executionName: request.executionName };
  }
}

export interface LocalTargetsOptions {
  /** Folder for the NDJSON files; absent: in memory only. */
  dir?: string;
  now: () => Date;
}

/**
 * The stand-in: a TargetSender for the action step, a TargetOutbox for the API, and a wrapper that records
 * the notifications the scheduler sends (`recording`).
 * @example const targets = new LocalTargets({ dir: '.data/outbox', now: () => new Date() }); createSteps({ guard, targets })
 */
export class LocalTargets implements TargetSender, TargetOutbox {
  private entries: OutboxEntry[] | undefined;
  private loading: Promise<OutboxEntry[]> | undefined;
  private readonly seen = new Map<string, TargetReceipt>();
  private readonly throttled = new Set<string>();
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LocalTargetsOptions) {}

  async send(request: TargetRequest): Promise<TargetReceipt> {
    const what = `local ${request.target} stand-in: ${request.resource}`;
    if (request.name.includes('-refuse')) {
      throw toDomainError(awsShapedError('AccessDeniedException', 403, `${request.name} refuses every call (its name contains -refuse)`), what, { refused: 'permanent' });
    }
    if (request.name.includes('-throttle') && !this.throttled.has(request.idempotencyKey)) {
      this.throttled.add(request.idempotencyKey);
      throw toDomainError(awsShapedError('ThrottlingException', 400, `${request.name} throttles the first attempt of each run (its name contains -throttle)`), what, { refused: 'permanent' });
    }
    await this.load();
    const dedup = dedupKey(request);
    const earlier = dedup === undefined ? undefined : this.seen.get(dedup);
    if (earlier) return { ...earlier, duplicate: true };
    const receipt = receiptFor(request);
    await this.record({ target: request.target, jobId: request.jobId, idempotencyKey: request.idempotencyKey, deliveredAt: this.options.now().toISOString(), request: request as unknown as JsonObject, receipt });
    return receipt;
  }

  async list(filter: OutboxFilter): Promise<OutboxEntry[]> {
    const entries = await this.load();
    const matching = entries.filter((entry) => (filter.target === undefined || entry.target === filter.target) && (filter.jobId === undefined || entry.jobId === filter.jobId));
    return filter.limit === undefined ? matching : matching.slice(-filter.limit);
  }

  /** The notifier, with every notification also kept in the outbox under `notification`. */
  recording(notifier: Notifier): Notifier {
    return {
      publish: async (notification) => {
        const answer = await notifier.publish(notification);
        await this.load();
        await this.record({
          target: 'notification',
          ...(notification.jobId === undefined ? {} : { jobId: notification.jobId }),
          ...(notification.idempotencyKey === undefined ? {} : { idempotencyKey: notification.idempotencyKey }),
          deliveredAt: this.options.now().toISOString(),
          request: { ...notification },
          receipt: { messageId: answer.messageId },
        });
        return answer;
      },
    };
  }

  private async record(entry: OutboxEntry): Promise<void> {
    const entries = await this.load();
    entries.push(entry);
    this.remember(entry);
    logger.info('outbox', { target: entry.target, jobId: entry.jobId, idempotencyKey: entry.idempotencyKey });
    const dir = this.options.dir;
    if (dir === undefined) return;
    // Appends one after another, so lines never interleave.
    const write = this.writes.then(async () => {
      await mkdir(dir, { recursive: true });
      await appendFile(path.join(dir, `${entry.target}.ndjson`), `${JSON.stringify(entry)}\n`, 'utf8');
    });
    this.writes = write.catch(() => undefined);
    await write;
  }

  private remember(entry: OutboxEntry): void {
    if (entry.target === 'notification') return;
    const dedup = dedupKey(entry.request as unknown as TargetRequest);
    if (dedup !== undefined && !this.seen.has(dedup)) this.seen.set(dedup, entry.receipt);
  }

  /** What earlier runs of the runtime left in the folder, read once. */
  private load(): Promise<OutboxEntry[]> {
    if (this.entries) return Promise.resolve(this.entries);
    this.loading ??= (async () => {
      const loaded: OutboxEntry[] = [];
      const dir = this.options.dir;
      if (dir !== undefined) {
        for (const kind of KINDS) {
          const text = await readFile(path.join(dir, `${kind}.ndjson`), 'utf8').catch(() => '');
          for (const line of text.split('\n')) {
            if (line.trim() === '') continue;
            try {
              loaded.push(JSON.parse(line) as OutboxEntry);
            } catch {
              // A partial last line from a runtime killed mid-write: the rest of the file is still read.
            }
          }
        }
        loaded.sort((a, b) => a.deliveredAt.localeCompare(b.deliveredAt));
      }
      loaded.forEach((entry) => this.remember(entry));
      this.entries = loaded;
      return loaded;
    })();
    return this.loading;
  }
}
