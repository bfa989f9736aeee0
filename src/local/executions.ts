/**
 * Executions of the scheduler state machine on aws-local-stepfunctions: the local stand-in for the Step
 * Functions service. It runs the same ASL with every Task bound to the same handler modules, keeps each
 * execution's status and an event history shaped like the service's, announces each status change as the
 * service's EventBridge event, and owns the waiting: the engine's Wait state asks, through a getter on its
 * override, how long to sleep until the run's planned time on the warped clock, so `--speed` changes how
 * long a day takes without touching the ASL.
 */
import { randomUUID } from 'node:crypto';
import { logger } from '../common/logger';
import { executionStatusChangeEvent, type ExecutionEventStatus, type ExecutionSnapshot, type ExecutionStatusChangeEvent } from '../lib/execution-events';
import { allStates, loadDefinition } from '../statemachines';
import { bindTaskStates, localDefinition, StateMachine, type LocalHandler } from './engine';
import type { WarpClock } from './warp-clock';
import { HistoryRecorder, type TaskResource } from './history';

export type ExecutionStatus = ExecutionEventStatus;

/** An execution as DescribeExecution gives it: the same snapshot its status-change events are built from. */
export type ExecutionInfo = ExecutionSnapshot;

/**
 * An event of GetExecutionHistory. `input` and `output` are JSON text, as the service gives them;
 * `stateName` is kept on every event of a state (the service names the state on its Entered and Exited
 * events only), so the history can be counted per state.
 */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  stateName?: string;
  input?: string;
  output?: string;
  /** The Lambda function's ARN, or the service integration's action (`startExecution`). */
  resource?: string;
  /** A service integration's service (`states`). */
  resourceType?: string;
  /** TaskScheduled: the integration's parameters, as JSON text. */
  parameters?: string;
  region?: string;
  roleArn?: string;
  error?: string;
  cause?: string;
}

export type NewEvent = Omit<HistoryEvent, 'id' | 'previousEventId' | 'timestamp'>;

export type LocalSfnErrorCode =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'InvalidName'
  | 'InvalidExecutionInput'
  | 'InvalidArn'
  | 'InvalidToken'
  | 'StateMachineDoesNotExist'
  | 'ValidationException';

/** Named as the service names them, so the SFN endpoint can return them as they are. */
export class LocalSfnError extends Error {
  constructor(
    readonly code: LocalSfnErrorCode,
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
  /**
   * The service's "Step Functions Execution Status Change" event, once per transition: RUNNING when an
   * execution starts, then SUCCEEDED, FAILED, ABORTED or TIMED_OUT when it ends. Not for an execution cut
   * off by `close()`: on AWS it would go on, and the runtime resumes it at its next start. A returned
   * promise is awaited by `close()`; its rejection is logged.
   */
  onStatusChange?: (event: ExecutionStatusChangeEvent) => void | Promise<void>;
}

/** The role the local executions "run as"; on AWS the state machine's role. */
export const LOCAL_ROLE_ARN = 'arn:aws:iam::000000000000:role/step-scheduler-local';

/**
 * The service's rule for execution names: 1-80 characters, none of white space, brackets, wildcards,
 * `" # % \ ^ | ~ ` $ & , ; : /` or control characters.
 */
const NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/u;
const START_EXECUTION = 'arn:aws:states:::states:startExecution';
const MAX_INPUT_BYTES = 256 * 1024;
/** Node timers overflow past 2^31-1 ms; a longer real-time wait is slept in that many ms at most. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const json = (value: unknown) => JSON.stringify(value ?? null);

type Prepared = { asl: ReturnType<typeof loadDefinition>; definition: { States: Record<string, { Resource?: string }> }; text: string; machine: StateMachine };
let prepared: Prepared | undefined;

/**
 * The ASL, its local definition and the engine's machine, built once per process: the definition never
 * changes while the process runs, and a machine runs any number of executions (each `run` has its own
 * state and handlers), so copying, stringifying and constructing them per execution start was waste.
 */
function preparedMachine(): Prepared {
  if (!prepared) {
    const definition = localDefinition() as Prepared['definition'];
    // Its text first: the engine annotates the object it is given (QueryLanguage on every state).
    const text = JSON.stringify(definition, null, 2);
    prepared = { asl: loadDefinition(), definition, text, machine: new StateMachine(definition as never) };
  }
  return prepared;
}

export class LocalExecutions {
  private readonly entries = new Map<string, Entry>();
  /** Task handler calls and status-change handlers still going, so a shutdown never closes the store under one. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing = false;
  /** When the state machine was "created": DescribeStateMachine's creationDate. */
  readonly creationDate: Date;

  constructor(private readonly options: LocalExecutionsOptions) {
    this.creationDate = options.clock.now();
  }

  get stateMachineArn(): string {
    return this.options.stateMachineArn;
  }

  /** The definition the engine runs, as DescribeStateMachine gives it (JSON text). */
  definition(): string {
    return preparedMachine().text;
  }

  now(): Date {
    return this.options.clock.now();
  }

  /**
   * StartExecution: a repeated name with the same input returns the running execution, as the service does.
   * `inputText` is the input as the caller wrote it, which the service keeps verbatim (the API's `input`).
   */
  start(name: string, input: unknown, inputText?: string): ExecutionInfo {
    if (!NAME.test(name)) throw new LocalSfnError('InvalidName', `Invalid Name: '${name}'`);
    const text = inputText ?? JSON.stringify(input ?? {});
    if (Buffer.byteLength(text) > MAX_INPUT_BYTES) throw new LocalSfnError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input is over 256 KB');
    const value = parseInput(text);
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
    // Written here rather than from the engine's log, so a history read right after the start has it.
    this.push(entry, { type: 'ExecutionStarted', input: text, roleArn: LOCAL_ROLE_ARN });
    this.announce(entry);
    entry.settled = this.run(entry, value);
    return this.info(entry);
  }

  stop(executionArn: string, details: { error?: string; cause?: string } = {}): ExecutionInfo {
    const entry = this.get(executionArn);
    if (entry.status === 'RUNNING') {
      this.finish(entry, { status: 'ABORTED', error: details.error, cause: details.cause });
      entry.controller.abort(new Error('execution stopped'));
    }
    return this.info(entry);
  }

  describe(executionArn: string): ExecutionInfo {
    return this.info(this.get(executionArn));
  }

  /** Newest first, as ListExecutions orders them. */
  list(statusFilter?: ExecutionStatus): ExecutionInfo[] {
    return [...this.entries.values()]
      .filter((e) => !statusFilter || e.status === statusFilter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime() || (a.executionArn < b.executionArn ? 1 : -1))
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
    this.closing = true;
    for (const entry of this.entries.values()) entry.controller.abort(new Error('runtime shutting down'));
    await Promise.all([...this.entries.values()].map((e) => e.settled));
    await Promise.allSettled([...this.inFlight]);
  }

  /** `arn:aws:states:::states:startExecution` with `{ StateMachineArn, Name, Input }`, as the service answers it. */
  private startFromState(params: unknown) {
    const { Name, Input } = params as { Name: string; Input: unknown };
    try {
      const info = typeof Input === 'string' ? this.start(Name, undefined, Input) : this.start(Name, Input);
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

  /** Appends an event; nothing follows an execution's terminal event (a Lambda that ends after a stop, say). */
  private push(entry: Entry, event: NewEvent): void {
    if (entry.status !== 'RUNNING') return;
    const id = entry.history.length + 1;
    entry.history.push({ id, previousEventId: id - 1, timestamp: this.options.clock.now(), ...event });
  }

  /** The one place an execution ends: its status, its single terminal event, its announcement. */
  private finish(entry: Entry, end: { status: Exclude<ExecutionStatus, 'RUNNING'>; output?: string; error?: string; cause?: string }): void {
    if (entry.status !== 'RUNNING') return;
    const type = { SUCCEEDED: 'ExecutionSucceeded', FAILED: 'ExecutionFailed', ABORTED: 'ExecutionAborted', TIMED_OUT: 'ExecutionTimedOut' }[end.status];
    this.push(entry, end.status === 'SUCCEEDED' ? { type, output: end.output } : { type, error: end.error, cause: end.cause });
    entry.status = end.status;
    entry.stopDate = this.options.clock.now();
    entry.output = end.output;
    entry.error = end.error;
    entry.cause = end.cause;
    this.announce(entry);
  }

  private announce(entry: Entry): void {
    const { onStatusChange } = this.options;
    if (!onStatusChange) return;
    const event = executionStatusChangeEvent(this.info(entry), { id: randomUUID() });
    const failed = (error: unknown) => logger.error('execution status change handler failed', { executionArn: entry.executionArn, status: entry.status, error });
    try {
      const pending = onStatusChange(event);
      if (pending) {
        const tracked = pending.catch(failed).finally(() => this.inFlight.delete(tracked));
        this.inFlight.add(tracked);
      }
    } catch (error) {
      failed(error);
    }
  }

  private async run(entry: Entry, input: unknown): Promise<void> {
    const { clock } = this.options;
    const { asl, definition, machine } = preparedMachine();
    const signal = entry.controller.signal;
    const handlers = bindTaskStates(asl, this.options.functions);
    const region = entry.stateMachineArn.split(':')[3] ?? '';
    const recorder = new HistoryRecorder((event) => this.push(entry, event), signal);
    // The Step Functions service integration ContinueAsNew uses, answered by this same service.
    for (const [state, definition] of Object.entries(asl.States as Record<string, { Resource?: string }>)) {
      if (definition.Resource === START_EXECUTION) handlers[state] = async (params) => this.startFromState(params);
    }
    // The planned time of the next run, as the last Calculate returned it; the Wait sleeps until it.
    let runAt: number | undefined;
    for (const [state, handler] of Object.entries(handlers)) {
      const resource = definition.States[state]?.Resource ?? '';
      const task: TaskResource = resource === START_EXECUTION ? { kind: 'states', resource: 'startExecution', region } : { kind: 'lambda', resource };
      handlers[state] = async (stateInput) => {
        // A stopped execution never starts another step, even if the engine had one scheduled.
        signal.throwIfAborted();
        const output = await recorder.call(state, task, stateInput, async () => {
          const call = Promise.resolve(handler(withWarpedStart(stateInput, entry.startDate) as typeof stateInput));
          // An abort ends the engine's run at once, but a Lambda already called goes on to its end: close() waits for it.
          this.inFlight.add(call);
          try {
            return await call;
          } finally {
            this.inFlight.delete(call);
          }
        });
        if (state === 'Calculate') {
          const next = (output as { runAt?: string | null } | null)?.runAt;
          runAt = next ? Date.parse(next) : undefined;
        }
        return output as Awaited<ReturnType<typeof handler>>;
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
      /** A fan-out run's wait: the same run time, read the same way. */
      get WaitForActions(): number {
        return this.WaitUntil;
      },
    };
    const retryIntervalOverrides = clock.speed === 1 ? undefined : scaledRetryIntervals(asl, clock.speed);

    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides, ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}) },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: entry.executionArn, Name: entry.name, StartTime: entry.startDate.toISOString(), Input: input as never, RoleArn: LOCAL_ROLE_ARN },
        StateMachine: { Id: entry.stateMachineArn, Name: entry.stateMachineArn.split(':').pop() },
      },
    });
    const onAbort = () => execution.abort();
    signal.addEventListener('abort', onAbort, { once: true });

    try {
      for await (const event of execution.eventLogs) recorder.record(event);
      const output = await execution.result;
      // An abort resolves the result with null: a stop has already ended the entry, a shutdown is handled below.
      if (!signal.aborted) this.finish(entry, { status: 'SUCCEEDED', output: json(output) });
    } catch (error) {
      if ((error as Error | undefined)?.name === 'ExecutionTimeoutError') {
        this.finish(entry, { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds' });
      } else {
        // The engine wraps the state's error (a Fail state's Error and Cause, a Lambda's error) in an ExecutionError.
        const failure = ((error as { cause?: unknown }).cause ?? error) as { name?: string; message?: string; cause?: unknown };
        const cause = typeof failure.cause === 'string' ? failure.cause : (failure.message ?? String(failure));
        if (entry.status === 'RUNNING') logger.warn('execution failed', { executionArn: entry.executionArn, error: failure.name, cause });
        this.finish(entry, { status: 'FAILED', error: failure.name ?? 'Error', cause });
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      recorder.release();
      if (entry.status === 'RUNNING') this.cutOff(entry);
      this.options.onSettled?.(this.info(entry));
    }
  }

  /**
   * An execution cut off by a shutdown: on AWS it would go on, and the next start resumes it, so it is not
   * announced as ended; it is marked ABORTED only so that nothing waits for it in this process.
   */
  private cutOff(entry: Entry): void {
    const cause = this.closing ? 'runtime shutting down' : 'the engine ended the run without a result';
    this.push(entry, { type: 'ExecutionAborted', error: 'States.Runtime', cause });
    Object.assign(entry, { status: 'ABORTED', stopDate: this.options.clock.now(), error: 'States.Runtime', cause });
  }
}

function parseInput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new LocalSfnError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(error as Error).message}'`);
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
  for (const [name, state] of allStates(asl)) {
    const retry = (state as { Retry?: Array<{ IntervalSeconds?: number }> }).Retry;
    if (retry) result[name] = retry.map((r) => (speed === 0 ? 0 : ((r.IntervalSeconds ?? 1) * 1000) / speed));
  }
  return result;
}
