/**
 * The local execution history, written as the Step Functions service writes it (src/local/executions.ts
 * keeps one recorder per execution and answers GetExecutionHistory from what it wrote).
 */
import type { EventLog } from './engine';
import type { NewEvent } from './executions';

const json = (value: unknown) => JSON.stringify(value ?? null);

export type TaskResource = { kind: 'lambda'; resource: string } | { kind: 'states'; resource: string; region: string };

/**
 * One execution's history, in the order and shapes the service writes it, from two sources: the engine's
 * log (states entered and exited, retries) and the Task calls themselves, which alone see a Lambda's own
 * input (after Parameters) and output (before ResultPath). The engine hands its log over asynchronously,
 * so a Task call first waits until the event that started its attempt (the state's Entered, or a retry) is
 * written, and its Scheduled/Started events land after it.
 */
export class HistoryRecorder {
  /** Per Task state: attempts whose starting event has been written, and attempts called. */
  private readonly written = new Map<string, number>();
  private readonly called = new Map<string, number>();
  private readonly waiters = new Set<{ state: string; attempt: number; resolve: () => void }>();
  /** The attempt still running, per Task state: the engine can give up on one (a task timeout). */
  private readonly open = new Map<string, { task: TaskResource; done: boolean }>();

  constructor(
    private readonly push: (event: NewEvent) => void,
    private readonly signal: AbortSignal,
  ) {}

  record(event: EventLog): void {
    // Terminal events are the execution's own (start, finish, stop), written where they happen.
    if (!('state' in event)) return;
    const stateName = event.state.name;
    const isTask = event.state.type === 'Task';
    // This ASL has no Map or Parallel; if one is added, its inner Tasks still get their calls let through.
    if ('parentState' in event) {
      if (isTask && (event.type === 'StateEntered' || event.type === 'StateRetried')) this.attemptWritten(stateName);
      return;
    }
    switch (event.type) {
      case 'StateEntered':
        this.push({ type: `${event.state.type}StateEntered`, stateName, input: json(event.state.input) });
        if (isTask) this.attemptWritten(stateName);
        return;
      case 'StateRetried':
        if (isTask) this.attemptWritten(stateName);
        return;
      case 'StateFailed': {
        // A Task's own failure was written by its call; one still open is a failure of the engine's (a timeout).
        const attempt = this.open.get(stateName);
        if (isTask && attempt && !attempt.done) {
          attempt.done = true;
          this.outcome(stateName, attempt.task, { error: event.Error, cause: String(event.Cause) }, event.Error === 'States.Timeout');
        }
        return;
      }
      case 'StateExited':
        this.push({ type: `${event.state.type}StateExited`, stateName, output: json(event.state.output) });
        return;
      case 'StateCaught':
        // The service writes nothing for the catch itself: the state's Exited (with the error at ResultPath) follows.
        return;
    }
  }

  /** Runs one attempt of a Task state, writing its Scheduled, Started and outcome events around it. */
  async call(state: string, task: TaskResource, input: unknown, invoke: () => Promise<unknown>): Promise<unknown> {
    const attempt = (this.called.get(state) ?? 0) + 1;
    this.called.set(state, attempt);
    await this.attemptStarted(state, attempt);
    this.signal.throwIfAborted();
    const open = { task, done: false };
    this.open.set(state, open);
    if (task.kind === 'lambda') {
      this.push({ type: 'LambdaFunctionScheduled', stateName: state, resource: task.resource, input: json(input) });
      this.push({ type: 'LambdaFunctionStarted', stateName: state });
    } else {
      const integration = { resourceType: task.kind, resource: task.resource };
      this.push({ type: 'TaskScheduled', stateName: state, ...integration, region: task.region, parameters: json(input) });
      this.push({ type: 'TaskStarted', stateName: state, ...integration });
    }
    try {
      const output = await invoke();
      if (!open.done) this.outcome(state, task, { output: json(output) });
      return output;
    } catch (error) {
      const failure = error as { name?: string; message?: string };
      if (!open.done) this.outcome(state, task, { error: failure.name ?? 'Error', cause: failure.message ?? String(error) });
      throw error;
    } finally {
      open.done = true;
    }
  }

  /** Lets every waiting call go on (the execution ended; each then sees the abort or the closed history). */
  release(): void {
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters.clear();
  }

  private outcome(state: string, task: TaskResource, result: { output?: string; error?: string; cause?: string }, timedOut = false): void {
    const prefix = task.kind === 'lambda' ? 'LambdaFunction' : 'Task';
    const integration = task.kind === 'lambda' ? {} : { resourceType: task.kind, resource: task.resource };
    if (result.output !== undefined) this.push({ type: `${prefix}Succeeded`, stateName: state, ...integration, output: result.output });
    else this.push({ type: `${prefix}${timedOut ? 'TimedOut' : 'Failed'}`, stateName: state, ...integration, error: result.error, cause: result.cause });
  }

  private attemptWritten(state: string): void {
    const written = (this.written.get(state) ?? 0) + 1;
    this.written.set(state, written);
    for (const waiter of this.waiters) {
      if (waiter.state === state && waiter.attempt <= written) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  private attemptStarted(state: string, attempt: number): Promise<void> {
    if ((this.written.get(state) ?? 0) >= attempt || this.signal.aborted) return Promise.resolve();
    // An abort ends the engine's log, and with it the run, whose release() lets this go.
    return new Promise((resolve) => this.waiters.add({ state, attempt, resolve }));
  }
}

