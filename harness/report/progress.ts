// The matrix's progress for a person, a consumer of the event stream
// (matrix/events.ts), in one of two forms:
// - plain: one line per event worth a line, each with the run's elapsed
//   time; for logs, pipes and CI (not a terminal, or CI set);
// - live: the same lines scroll, except phases and console lines, and one
//   status line stays at the bottom: done of total, pass/todo/failing so
//   far, and for each kernel at work its phase, scenario n of N and how
//   long it has been at it (during a boot, the console's last line).
import type { EventOf, EventSink, Handlers, MatrixEvent, Phase } from '../matrix/events.ts';
import { handle } from '../matrix/events.ts';
import type { ResultStatus } from '../matrix/types.ts';

export type ProgressMode = 'live' | 'plain';

/** Live on a terminal, plain when the stream is not one or under CI (CI set and not "false" or "0"). */
export function progressMode(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): ProgressMode {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return stream.isTTY === true && !ci ? 'live' : 'plain';
}

export interface Progress {
  on: EventSink;
  /** Stops redrawing and clears the status line (live); call once, also when the run failed. */
  close(): void;
}

/** The state the lines and the status line are made from, updated by `track`. */
export interface State {
  started: number;
  total: number;
  counts: Record<ResultStatus, number>;
  /** Per kernel at work: its phase, since when, the scenario, the console's last line. */
  doing: Map<string, { phase: Phase; since: number; what?: string; console?: string }>;
}

/** The plain form: the line an event prints, if any (the elapsed time of the run first), and the state it keeps. */
export function plainLines(): { line: (e: MatrixEvent) => string | undefined; state: State } {
  const s = newState();
  const h = {
    plan: (e) =>
      `matrix: ${e.kernels.length} kernel(s) x ${e.scenarios.length} scenario(s)${e.repeat > 1 ? ` x ${e.repeat} runs` : ''}, ${e.jobs} guest(s) at once, results in ${e.out}/`,
    'phase-start': (e) => `[${e.kernel}] ${e.phase}${scenarioOf(e)}`,
    'phase-end': (e) => (e.phase === 'scenario' ? undefined : `[${e.kernel}] ${e.phase} done in ${secs(e.ms)}`),
    console: () => undefined,
    result: (e) => resultLine(s, e),
    kernel: (e) =>
      `[${e.run.id}] done: ${(['fetch', 'build', 'boot', 'scenarios', 'check'] as const).map((p) => `${p} ${secs(e.run.phasesMs[p])}`).join(', ')}`,
    info: (e) => `${e.kernel ? `[${e.kernel}] ` : ''}${e.text}`,
    warning: (e) => `${e.kernel ? `[${e.kernel}] ` : ''}warning: ${e.text}`,
    done: () => `matrix: done: ${summary(s)}`,
  } satisfies Handlers<string | undefined>;
  return {
    state: s,
    line: (e) => {
      track(s, e);
      const line = handle(h, e);
      return line === undefined ? undefined : `[${clock(e.at - s.started)}] ${line}`;
    },
  };
}

export function makeProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
  mode: ProgressMode = progressMode(stream),
  now: () => number = Date.now,
): Progress {
  const { line, state: s } = plainLines();
  if (mode === 'plain') {
    return {
      on: (e) => {
        const l = line(e);
        if (l !== undefined) stream.write(`${l}\n`);
      },
      close: () => {},
    };
  }
  let planned = false;
  let closed = false;
  const clear = () => stream.write('\r\x1b[2K');
  // a terminal of unknown size (a pty nobody sized says 0 columns) gets 120
  const draw = () => planned && !closed && stream.write(statusLine(s, now(), stream.columns || 120));
  // the elapsed times move even when no event comes
  const timer = setInterval(() => {
    if (!planned || closed) return;
    clear();
    draw();
  }, 1000);
  timer.unref();
  return {
    on: (e) => {
      const l = line(e);
      // a console line changes what is shown only during a boot
      if (e.kind === 'console' && s.doing.get(e.kernel)?.phase !== 'boot') return;
      if (planned) clear();
      if (e.kind === 'plan') planned = true;
      if (l !== undefined && e.kind !== 'phase-start' && e.kind !== 'phase-end') stream.write(`${l}\n`);
      if (e.kind === 'done') closed = true;
      draw();
    },
    close: () => {
      clearInterval(timer);
      if (planned && !closed) clear();
      closed = true;
    },
  };
}

// --- internal ---

/** The status line at time `now`, cut to `columns`. */
function statusLine(s: State, now: number, columns: number): string {
  const n = done(s);
  const kernels = [...s.doing].map(
    ([k, d]) =>
      `${k} ${d.what ?? d.phase} ${clock(now - d.since)}${d.phase === 'boot' && d.console ? ` ${d.console.replace(/\s+/g, ' ').trim()}` : ''}`,
  );
  const line = `[matrix ${n}/${s.total} ${clock(now - s.started)}] ${summary(s)}${kernels.length ? ` | ${kernels.join(' | ')}` : ''}`;
  return line.slice(0, Math.max(20, columns - 1));
}

function newState(): State {
  return { started: 0, total: 0, counts: { pass: 0, fail: 0, todo: 0, crash: 0, infra: 0 }, doing: new Map() };
}

/** What every form keeps from the events. */
function track(s: State, e: MatrixEvent): void {
  switch (e.kind) {
    case 'plan':
      s.started = e.at;
      s.total = e.kernels.length * e.scenarios.length * e.repeat;
      break;
    case 'phase-start':
      s.doing.set(e.kernel, { phase: e.phase, since: e.at, ...(e.scenario ? { what: `scenario${scenarioOf(e)}` } : {}) });
      break;
    case 'console': {
      const d = s.doing.get(e.kernel);
      if (d) d.console = e.line;
      break;
    }
    case 'result':
      s.counts[e.result.status]++;
      break;
    case 'kernel':
      s.doing.delete(e.run.id);
      break;
    case 'phase-end':
    case 'info':
    case 'warning':
    case 'done':
      break;
    default:
      e satisfies never;
  }
}

function done(s: State): number {
  return Object.values(s.counts).reduce((a, b) => a + b, 0);
}

function summary(s: State): string {
  return `${s.counts.pass} pass, ${s.counts.todo} todo, ${s.counts.fail + s.counts.crash + s.counts.infra} failing`;
}

function scenarioOf(e: EventOf<'phase-start'>): string {
  return e.scenario ? ` ${e.n ?? '?'}/${e.of ?? '?'} ${e.scenario}` : '';
}

function resultLine(s: State, e: EventOf<'result'>): string {
  const r = e.result;
  const attempt = r.attempt === undefined ? '' : ` (run ${r.attempt})`;
  const why = r.status === 'pass' ? '' : `: ${r.reasons[0] ?? ''}`;
  return `[${r.kernel}] ${r.scenario}${attempt}: ${r.status} in ${secs(r.durationMs)}${why} (${done(s)} of ${s.total} done)`;
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Elapsed time as m:ss (h:mm:ss past an hour). */
export function clock(ms: number): string {
  const t = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
