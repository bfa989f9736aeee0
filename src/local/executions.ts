/**
 * Executions of the scheduler state machine on aws-local-stepfunctions: the local stand-in for the Step
 * Functions service. It runs the same ASL with every Task bound to the same handler modules, keeps each
 * execution's status and an event history shaped like the service's, and owns the waiting: the engine's
 * Wait state asks, through a getter on its override, how long to sleep until the run's planned time on the
 * warped clock, so `--speed` changes how long a day takes without touching the ASL.
 */
import { logger } from '../common/logger';
import { loadDefinition } from '../statemachines';
import { bindTaskStates, localDefinition, StateMachine, type EventLog, type LocalHandler } from './engine';
import type { WarpClock } from './warp-clock';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface ExecutionInfo {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

/** An event as GetExecutionHistory returns it (the details the product reads, not every field). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  stateName?: string;
  error?: string;
  cause?: string;
}

/** Named as the service names them, so the SFN endpoint can return them as they are. */
export class LocalSfnError extends Error {
  constructor(
    readonly code: 'ExecutionAlreadyExists' | 'ExecutionDoesNotExist' | 'InvalidName' | 'InvalidExecutionInput' | 'InvalidArn',
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

interface Entry extends ExecutionInfo {
  history: HistoryEvent[];
  controller: AbortController;
  settled: Promise<void>;
}

export interface LocalExecutionsOptions {
  stateMachineArn: string;
  /** Function key (as in the ASL's `${fn}` tokens) → handler. */
  functions: Record<string, LocalHandler>;
  clock: WarpClock;
  /** Called when an execution ends, for the runtime's bookkeeping. */
  onSettled?: (info: ExecutionInfo) => void;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const START_EXECUTION = 'arn:aws:states:::states:startExecution';
const MAX_INPUT_BYTES = 256 * 1024;
/** Node timers overflow past 2^31-1 ms; a longer real-time wait is slept in that many ms at most. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class LocalExecutions {
  private readonly entries = new Map<string, Entry>();
  /** Task handler calls still going, so a shutdown never closes the store under one. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly options: LocalExecutionsOptions) {}

  get stateMachineArn(): string {
    return this.options.stateMachineArn;
  }

  now(): Date {
    return this.options.clock.now();
  }

  /** StartExecution: a repeated name with the same input returns the running execution, as the service does. */
  start(name: string, input: unknown): ExecutionInfo {
    if (!NAME.test(name)) throw new LocalSfnError('InvalidName', `Invalid Name: '${name}'`);
    const text = JSON.stringify(input ?? {});
    if (Buffer.byteLength(text) > MAX_INPUT_BYTES) throw new LocalSfnError('InvalidExecutionInput', 'input is over 256 KB');
    const executionArn = `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.entries.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === text) return this.info(existing);
      throw new LocalSfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const entry: Entry = {
      executionArn,
      stateMachineArn: this.options.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: this.options.clock.now(),
      input: text,
      history: [],
      controller: new AbortController(),
      settled: Promise.resolve(),
    };
    this.entries.set(executionArn, entry);
    entry.settled = this.run(entry, JSON.parse(text));
    return this.info(entry);
  }

  stop(executionArn: string, details: { error?: string; cause?: string } = {}): ExecutionInfo {
    const entry = this.get(executionArn);
    if (entry.status === 'RUNNING') {
      entry.status = 'ABORTED';
      entry.stopDate = this.options.clock.now();
      entry.error = details.error;
      entry.cause = details.cause;
      this.push(entry, { type: 'ExecutionAborted', error: details.error, cause: details.cause });
      entry.controller.abort(new Error('execution stopped'));
    }
    return this.info(entry);
  }

  describe(executionArn: string): ExecutionInfo {
    return this.info(this.get(executionArn));
  }

  list(statusFilter?: ExecutionStatus): ExecutionInfo[] {
    return [...this.entries.values()]
      .filter((e) => !statusFilter || e.status === statusFilter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
      .map((e) => this.info(e));
  }

  history(executionArn: string): HistoryEvent[] {
    return [...this.get(executionArn).history];
  }

  /** Resolves when no execution is running (tests, the demo). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.entries.values()].filter((e) => e.status === 'RUNNING');
      if (running.length === 0) return;
      await Promise.all(running.map((e) => e.settled));
    }
  }

  /** Abort every running execution and wait for them to end (shutdown). */
  async close(): Promise<void> {
    for (const entry of this.entries.values()) entry.controller.abort(new Error('runtime shutting down'));
    await Promise.all([...this.entries.values()].map((e) => e.settled));
    await Promise.allSettled([...this.inFlight]);
  }

  /** `arn:aws:states:::states:startExecution` with `{ StateMachineArn, Name, Input }`, as the service answers it. */
  private startFromState(params: unknown) {
    const { Name, Input } = params as { Name: string; Input: unknown };
    try {
      const info = this.start(Name, typeof Input === 'string' ? JSON.parse(Input) : Input);
      return { ExecutionArn: info.executionArn, StartDate: info.startDate.toISOString() };
    } catch (error) {
      // The names the service integration gives these errors, which the ASL's Catch matches.
      if (error instanceof LocalSfnError) {
        const named = new Error(error.message);
        named.name = `StepFunctions.${error.code}Exception`;
        throw named;
      }
      throw error;
    }
  }

  private get(executionArn: string): Entry {
    const entry = this.entries.get(executionArn);
    if (!entry) throw new LocalSfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return entry;
  }

  private info(entry: Entry): ExecutionInfo {
    const { history: _history, controller: _controller, settled: _settled, ...info } = entry;
    return { ...info };
  }

  private push(entry: Entry, event: Omit<HistoryEvent, 'id' | 'previousEventId' | 'timestamp'>): void {
    const id = entry.history.length + 1;
    entry.history.push({ id, previousEventId: id - 1, timestamp: this.options.clock.now(), ...event });
  }

  private async run(entry: Entry, input: unknown): Promise<void> {
    const { clock } = this.options;
    const asl = loadDefinition();
    const machine = new StateMachine(localDefinition() as never);
    const signal = entry.controller.signal;
    const handlers = bindTaskStates(asl, this.options.functions);
    // The Step Functions service integration ContinueAsNew uses, answered by this same service.
    for (const [state, definition] of Object.entries(asl.States as Record<string, { Resource?: string }>)) {
      if (definition.Resource === START_EXECUTION) handlers[state] = async (params) => this.startFromState(params);
    }
    // The planned time of the next run, as the last Calculate returned it; the Wait sleeps until it.
    let runAt: number | undefined;
    for (const [state, handler] of Object.entries(handlers)) {
      handlers[state] = async (stateInput) => {
        // A stopped execution never starts another step, even if the engine had one scheduled.
        signal.throwIfAborted();
        const call = Promise.resolve(handler(withWarpedStart(stateInput, entry.startDate) as typeof stateInput));
        // An abort ends the engine's run at once, but a Lambda already called goes on to its end: close() waits for it.
        this.inFlight.add(call);
        let output;
        try {
          output = await call;
        } finally {
          this.inFlight.delete(call);
        }
        if (state === 'Calculate') {
          const next = (output as { runAt?: string | null } | null)?.runAt;
          runAt = next ? Date.parse(next) : undefined;
        }
        return output;
      };
    }
    const waitTimeOverrides = {
      get WaitUntil(): number {
        if (runAt === undefined) return 0;
        if (clock.speed === 0) {
          clock.advanceTo(runAt);
          return 0;
        }
        return Math.min(MAX_TIMER_MS, Math.max(0, (runAt - clock.now().getTime()) / clock.speed));
      },
    };
    const retryIntervalOverrides = clock.speed === 1 ? undefined : scaledRetryIntervals(asl, clock.speed);

    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides, ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}) },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: entry.executionArn, Name: entry.name, StartTime: entry.startDate.toISOString(), Input: input as never, RoleArn: 'arn:aws:iam::000000000000:role/local' },
        StateMachine: { Id: entry.stateMachineArn, Name: entry.stateMachineArn.split(':').pop() },
      },
    });
    const onAbort = () => execution.abort();
    signal.addEventListener('abort', onAbort, { once: true });

    try {
      for await (const event of execution.eventLogs) this.record(entry, event);
      const output = await execution.result;
      if (entry.status === 'RUNNING') {
        entry.status = 'SUCCEEDED';
        entry.output = JSON.stringify(output ?? null);
        entry.stopDate = clock.now();
      }
    } catch (error) {
      if (entry.status === 'RUNNING') {
        const failure = error as { name?: string; message?: string };
        entry.status = 'FAILED';
        entry.error = failure.name ?? 'Error';
        entry.cause = failure.message ?? String(error);
        entry.stopDate = clock.now();
        this.push(entry, { type: 'ExecutionFailed', error: entry.error, cause: entry.cause });
        logger.warn('execution failed', { executionArn: entry.executionArn, error: entry.error, cause: entry.cause });
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.options.onSettled?.(this.info(entry));
    }
  }

  /** Translate the engine's log into the service's event types, so history sizes compare with AWS. */
  private record(entry: Entry, event: EventLog): void {
    if (event.type === 'ExecutionStarted') return this.push(entry, { type: 'ExecutionStarted' });
    if (event.type === 'ExecutionSucceeded') return this.push(entry, { type: 'ExecutionSucceeded' });
    if (!('state' in event) || 'parentState' in event) return;
    const stateName = event.state.name;
    const isTask = event.state.type === 'Task';
    switch (event.type) {
      case 'StateEntered':
        this.push(entry, { type: `${event.state.type}StateEntered`, stateName });
        if (isTask) {
          this.push(entry, { type: 'LambdaFunctionScheduled', stateName });
          this.push(entry, { type: 'LambdaFunctionStarted', stateName });
        }
        return;
      case 'StateExited':
        if (isTask) this.push(entry, { type: 'LambdaFunctionSucceeded', stateName });
        this.push(entry, { type: `${event.state.type}StateExited`, stateName });
        return;
      case 'StateFailed':
        this.push(entry, { type: isTask ? 'LambdaFunctionFailed' : 'ExecutionFailed', stateName, error: event.Error, cause: String(event.Cause) });
        return;
      case 'StateRetried':
        this.push(entry, { type: 'LambdaFunctionScheduled', stateName });
        this.push(entry, { type: 'LambdaFunctionStarted', stateName });
        return;
      case 'StateCaught':
        this.push(entry, { type: `${event.state.type}StateExited`, stateName });
        return;
    }
  }
}

/**
 * The engine stamps `$$.Execution.StartTime` with the real time whatever the context says; under a warped
 * clock the execution started at the warped time, which is what the calculator's one-year check needs.
 */
function withWarpedStart(input: unknown, startDate: Date): unknown {
  if (input && typeof input === 'object' && 'executionStartedAt' in input) {
    return { ...input, executionStartedAt: startDate.toISOString() };
  }
  return input;
}

/**
 * Retry intervals shrunk by the clock's speed, as waits are (speed 0: immediate). The engine takes one
 * fixed interval per retrier, so the backoff's growth is lost under warp; the attempts are kept.
 */
function scaledRetryIntervals(asl: { States: Record<string, unknown> }, speed: number): Record<string, number[]> {
  const result: Record<string, number[]> = {};
  for (const [name, state] of Object.entries(asl.States)) {
    const retry = (state as { Retry?: Array<{ IntervalSeconds?: number }> }).Retry;
    if (retry) result[name] = retry.map((r) => (speed === 0 ? 0 : ((r.IntervalSeconds ?? 1) * 1000) / speed));
  }
  return result;
}
