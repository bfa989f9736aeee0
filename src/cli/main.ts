/**
 * `step-scheduler`, the command-line client of the HTTP API (the local runtime or a deployed stack):
 * commander parses the command line, client.ts makes the calls, format.ts prints for people; `--json`
 * prints the API's answer as it came, for scripts.
 *
 * Exit codes: 0 done; 1 the API refused the request (4xx; the message names the field as the API does);
 * 2 a usage error (unknown command or option, a missing argument, a job file that is not JSON);
 * 3 the API could not be reached, timed out, or failed (5xx); 70 a bug in the client itself.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ApiClient, ApiError, UnreachableError, type Json } from './client';
import { duration, errorText, fields, table } from './format';

export const EXIT = { ok: 0, api: 1, usage: 2, unreachable: 3, internal: 70 } as const;

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:3000';

/** Where the CLI writes; a test passes its own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  readFile(path: string): string;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  env: process.env,
  readFile: (path) => readFileSync(path === '-' ? 0 : path, 'utf8'),
};

/** A usage error found after parsing (a job file that is not JSON, a missing --yes). */
class UsageError extends Error {}

interface GlobalOptions {
  endpoint?: string;
  apiKey?: string;
  token?: string;
  json?: boolean;
  timeout?: number;
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!/^[0-9]+$/.test(value) || parsed < 1) throw new InvalidArgumentError('must be a whole number of 1 or more');
  return parsed;
}

function progressText(job: Json): string {
  const p = job.progress ?? {};
  const total = p.totalRuns === null || p.totalRuns === undefined ? '∞' : p.totalRuns;
  return `${p.completedRuns ?? 0}/${total}${p.failedRuns ? ` (${p.failedRuns} failed)` : ''}`;
}

function jobLine(answer: Json): string {
  return [`${answer.jobId}: ${answer.status}`, answer.nextRunAt ? `next run ${answer.nextRunAt}` : undefined, answer.executionArn ? `execution ${answer.executionArn}` : undefined]
    .filter(Boolean)
    .join(', ');
}

function requestLine(answer: Json): string {
  const runs = answer.runs ?? {};
  const range = answer.from ? ` ${answer.from} .. ${answer.to}` : '';
  return `${answer.kind} ${answer.requestId} of ${answer.jobId}${range}: ${answer.state}, ${runs.total} run(s); watch it with: step-scheduler jobs history ${answer.jobId}`;
}

function runsTable(steps: Json[], extraRuns: Json[]): string {
  const rows = [
    ...steps.map((s: Json) => [s.iteration, 'live', s.phase, s.state, s.plannedAt, s.startedAt, duration(s.durationMs), s.attempts, errorText(s.error)]),
    ...extraRuns.map((r: Json) => [r.iteration ?? '', `${r.kind}#${r.index}`, r.phase, r.state, r.plannedAt, r.startedAt, duration(r.durationMs), r.attempts, errorText(r.error)]),
  ];
  return table(['ITER', 'KIND', 'PHASE', 'STATE', 'PLANNED', 'STARTED', 'DURATION', 'ATTEMPTS', 'ERROR'], rows);
}

function buildProgram(io: CliIo, setClient: (options: GlobalOptions) => ApiClient): Command {
  const program = new Command('step-scheduler')
    .description('Drive the step-scheduler HTTP API: the local runtime (npm start) or a deployed stack.')
    .addOption(new Option('--endpoint <url>', `the API's base URL (env STEP_SCHEDULER_ENDPOINT; default ${DEFAULT_ENDPOINT})`))
    .addOption(new Option('--api-key <key>', 'API Gateway API key, sent as x-api-key (env STEP_SCHEDULER_API_KEY)'))
    .addOption(new Option('--token <token>', 'bearer token, sent as Authorization: Bearer (env STEP_SCHEDULER_TOKEN)'))
    .addOption(new Option('--timeout <seconds>', 'how long one request may take').argParser(positiveInt).default(30))
    .option('--json', "print the API's JSON answer as it came (for scripts)")
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  const jobs = program.command('jobs').description('create, list, inspect and drive jobs').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  /** Commands inherit the program's output and exit handling. */
  const command = (name: string, description: string) =>
    jobs.command(name).description(description).exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err }).showHelpAfterError('(run with --help for usage)');

  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();
  const print = (cmd: Command, answer: Json, human: () => string) => io.out(globals(cmd).json ? JSON.stringify(answer, null, 2) : human());

  command('create', 'submit a job from a JSON file (a job, seed 000\'s { config } or seed 001\'s { action, payload, run_at })')
    .requiredOption('-f, --file <path>', 'the job as JSON; - reads stdin')
    .action(async (options: { file: string }, cmd: Command) => {
      let text: string;
      try {
        text = io.readFile(options.file);
      } catch (error) {
        throw new UsageError(`cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new UsageError(`${options.file} is not JSON: ${(error as Error).message}`);
      }
      const answer = await setClient(globals(cmd)).createJob(body);
      print(cmd, answer, () => `created ${jobLine(answer)}`);
    });

  command('list', 'a page of jobs, by status, group or tag')
    .option('--status <status>', 'a job status (SCHEDULED, PAUSED, COMPLETED, …; either case)')
    .option('--group <group>', 'only jobs of this group')
    .option('--tag <tag>', 'only jobs with this tag')
    .option('--limit <n>', 'jobs on the page (1-100, default 20)', positiveInt)
    .option('--cursor <cursor>', 'the next page, as the previous one printed')
    .action(async (options: { status?: string; group?: string; tag?: string; limit?: number; cursor?: string }, cmd: Command) => {
      const page = await setClient(globals(cmd)).listJobs(options);
      print(cmd, page, () => {
        const rows = page.jobs.map((job: Json) => [job.jobId, job.status, progressText(job), job.nextRunAt, job.job.group, (job.job.tags ?? []).join(',')]);
        const more = page.cursor ? `\nmore: step-scheduler jobs list --cursor ${page.cursor}` : '';
        return page.jobs.length === 0 ? 'no jobs' : `${table(['JOB', 'STATUS', 'RUNS', 'NEXT RUN', 'GROUP', 'TAGS'], rows)}${more}`;
      });
    });

  command('get', 'one job: status, settings, progress and its latest runs')
    .argument('<id>', 'the job id')
    .action(async (id: string, _options: unknown, cmd: Command) => {
      const job = await setClient(globals(cmd)).getJob(id);
      print(cmd, job, () =>
        [
          fields([
            ['job', job.jobId],
            ['status', job.status],
            ['kind', job.job.action ? `action (${job.job.action.type})` : job.job.actions ? `fan-out (${job.job.actions.map((a: { type: string }) => a.type).join(', ')})` : 'report workflow'],
            ['schedule', job.settings.scheduleExpression ?? (job.settings.frequency ? JSON.stringify(job.settings.frequency) : 'one-off')],
            ['time zone', job.settings.timeZone],
            ['start', job.settings.startDateTime],
            ['end', job.settings.endDateTime ?? (job.settings.maxRuns ? `after ${job.settings.maxRuns} runs` : job.settings.forever ? 'never' : null)],
            ['runs', `${progressText(job)}, ${job.progress.percentage}%`],
            ['next run', job.nextRunAt],
            ['paused', job.pausedAt ? `${job.pausedAt}${job.pauseNote ? ` (${job.pauseNote})` : ''}` : undefined],
            ['reason', job.reason],
            ['group', job.settings.group],
            ['tags', job.settings.tags.length > 0 ? job.settings.tags.join(',') : null],
            ['executions', job.executions.length],
          ]),
          job.progress.steps.length + job.extraRuns.length > 0 ? `\n${runsTable(job.progress.steps, job.extraRuns)}` : '',
        ].join('\n'),
      );
    });

  command('upcoming', 'the next runs, from the calculator')
    .argument('<id>', 'the job id')
    .option('--count <n>', 'how many (1-100, default 10)', positiveInt)
    .action(async (id: string, options: { count?: number }, cmd: Command) => {
      const answer = await setClient(globals(cmd)).upcoming(id, options.count);
      print(cmd, answer, () => {
        const rows = answer.runs.map((run: Json) => [run.iteration, run.plannedAt, run.runAt === run.plannedAt ? '' : run.runAt, run.localTime, run.phase, run.missed ? 'missed' : '']);
        const head = `${answer.jobId}: ${answer.status}, ${answer.remainingRuns ?? '∞'} run(s) left, times in ${answer.timeZone}`;
        return answer.runs.length === 0 ? `${head}\nno upcoming runs` : `${head}\n${table(['ITER', 'PLANNED', 'STARTS', 'LOCAL TIME', 'PHASE', ''], rows)}`;
      });
    });

  command('pause', 'pause a job (its execution stops; resume picks up from its cursor)')
    .argument('<id>', 'the job id')
    .option('--note <text>', 'why, shown with the job')
    .action(async (id: string, options: { note?: string }, cmd: Command) => {
      const answer = await setClient(globals(cmd)).pause(id, options.note);
      print(cmd, answer, () => `${answer.jobId}: ${answer.status} since ${answer.pausedAt}${answer.note ? ` (${answer.note})` : ''}`);
    });

  command('resume', 'resume a paused job')
    .argument('<id>', 'the job id')
    .action(async (id: string, _options: unknown, cmd: Command) => {
      const answer = await setClient(globals(cmd)).resume(id);
      print(cmd, answer, () => jobLine(answer));
    });

  command('trigger', 'one extra run now, outside the schedule')
    .argument('<id>', 'the job id')
    .option('--note <text>', 'why, kept with the request')
    .option('--idempotency-key <key>', 'a repeat with the same key answers the first request')
    .action(async (id: string, options: { note?: string; idempotencyKey?: string }, cmd: Command) => {
      const answer = await setClient(globals(cmd)).trigger(id, options);
      print(cmd, answer, () => requestLine(answer));
    });

  command('backfill', 'run the runs the schedule planned in a past range')
    .argument('<id>', 'the job id')
    .requiredOption('--from <time>', 'ISO-8601 with an offset or Z')
    .requiredOption('--to <time>', 'ISO-8601 with an offset or Z, not in the future')
    .option('--idempotency-key <key>', 'a repeat with the same key answers the first request')
    .action(async (id: string, options: { from: string; to: string; idempotencyKey?: string }, cmd: Command) => {
      const answer = await setClient(globals(cmd)).backfill(id, { from: options.from, to: options.to }, options.idempotencyKey);
      print(cmd, answer, () => requestLine(answer));
    });

  command('stop', 'stop a job: status CANCELLED, its runs kept')
    .alias('delete')
    .argument('<id>', 'the job id')
    .action(async (id: string, _options: unknown, cmd: Command) => {
      const answer = await setClient(globals(cmd)).stop(id);
      print(cmd, answer, () => `${answer.jobId}: ${answer.status}`);
    });

  command('delete-all', 'stop and delete every job')
    .option('--yes', 'confirm: this deletes every job and its runs')
    .action(async (options: { yes?: boolean }, cmd: Command) => {
      if (!options.yes) throw new UsageError('delete-all stops and deletes every job and its runs; add --yes to confirm');
      const answer = await setClient(globals(cmd)).deleteAll();
      print(cmd, answer, () => `deleted ${answer.deletedCount} job(s)`);
    });

  command('history', "a job's runs as a table: live runs (every page) and its triggers' and backfills' runs")
    .argument('<id>', 'the job id')
    .action(async (id: string, _options: unknown, cmd: Command) => {
      const { job, steps, extraRuns } = await setClient(globals(cmd)).history(id);
      print(cmd, { jobId: job.jobId, status: job.status, runs: steps, extraRuns }, () =>
        steps.length + extraRuns.length === 0 ? `${job.jobId}: ${job.status}, no runs yet` : `${job.jobId}: ${job.status}\n${runsTable(steps, extraRuns)}`,
      );
    });

  return program;
}

/** How an API error reads: the field first, as the API names it. */
function apiErrorText(error: ApiError): string {
  const field = error.field === undefined ? '' : ` (field ${error.field})`;
  return `error: ${error.status} ${error.code}${field}: ${error.message}`;
}

/**
 * Run the CLI on `argv` (without `node` and the script); resolves with the exit code.
 * @example await runCli(['jobs', 'list', '--status', 'PAUSED']) // 0, a table on stdout
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let json = false;
  const program = buildProgram(io, (options) => {
    json = options.json === true;
    const apiKey = options.apiKey ?? io.env.STEP_SCHEDULER_API_KEY;
    const token = options.token ?? io.env.STEP_SCHEDULER_TOKEN;
    return new ApiClient({
      endpoint: options.endpoint ?? io.env.STEP_SCHEDULER_ENDPOINT ?? DEFAULT_ENDPOINT,
      ...(apiKey ? { apiKey } : {}),
      ...(token ? { token } : {}),
      timeoutMs: (options.timeout ?? 30) * 1000,
    });
  });
  if (argv.length === 0) {
    io.out(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version are exits too; everything else commander refuses is a usage error (already printed).
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof ApiError) {
      if (json) io.out(JSON.stringify({ status: error.status, error: { code: error.code, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) } }, null, 2));
      io.err(apiErrorText(error));
      return EXIT.api;
    }
    if (error instanceof UnreachableError) {
      io.err(`error: ${error.message}`);
      return EXIT.unreachable;
    }
    throw error;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = EXIT.internal;
    },
  );
}
