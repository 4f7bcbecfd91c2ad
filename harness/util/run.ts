// External processes go through here: one place that turns a failed command
// into an error naming the command, its exit code or signal, how long it ran
// and the tail of what it printed.
import { execa, type ExecaOptions as Options } from '../vendor.ts';
import { HoneError, type HoneErrorCode } from './errors.ts';
import { eachLine } from './lines.ts';

export interface RunResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Start from an empty environment (plus env). */
  cleanEnv?: boolean;
  input?: string;
  timeoutMs?: number;
  /** Error code and context used when the command fails. */
  code?: HoneErrorCode;
  kernel?: string;
  hint?: string;
  /** Return the result instead of throwing on a non-zero exit. */
  allowFail?: boolean;
  /** Called with each line of output as it arrives. */
  onLine?: (line: string) => void;
}

export async function run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const execOpts: Options = {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: !opts.cleanEnv,
    input: opts.input,
    timeout: opts.timeoutMs,
    reject: false,
    all: false,
    stripFinalNewline: true,
    ...(opts.onLine ? { lines: false } : {}),
  };
  const child = execa(file, args, execOpts);
  const onLine = opts.onLine;
  const lines = onLine ? Promise.all([child.stdout, child.stderr].map((stream) => eachLine(stream, onLine))) : undefined;
  const r = await child;
  await lines;
  const result: RunResult = {
    command: [file, ...args].join(' '),
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : -1,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    durationMs: Date.now() - started,
  };
  if (r.failed && !opts.allowFail) {
    const why = r.timedOut
      ? `timed out after ${opts.timeoutMs} ms`
      : r.signal
        ? `was killed by ${r.signal}`
        : r.exitCode === undefined
          ? `could not start (${r.shortMessage ?? 'unknown error'})`
          : `exited with code ${r.exitCode}`;
    const tail = (result.stderr || result.stdout).split('\n').filter(Boolean).slice(-15);
    throw new HoneError(opts.code ?? 'E_USAGE', `\`${shorten(result.command)}\` ${why} after ${(result.durationMs / 1000).toFixed(1)} s`, {
      kernel: opts.kernel,
      hint: opts.hint,
      details: tail,
    });
  }
  return result;
}

function shorten(cmd: string): string {
  return cmd.length > 200 ? `${cmd.slice(0, 197)}...` : cmd;
}
