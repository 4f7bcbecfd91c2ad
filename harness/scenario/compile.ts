// Compiles a scenario into the line script the C runner reads
// (harness/runner/README.md): the runner's forks of the initial processes
// become steps 0..n-1, every process still alive at the end gets an exit.
import { validateScenario } from './validate.ts';
import { RUNNER_ACTOR, type Scenario, type Step, type Target } from './types.ts';

export const SCRIPT_MAGIC = 'hone-runner-script 1';

export function compileScenario(s: Scenario): string {
  const { model } = validateScenario(s, s.file);
  const steps: Array<[string, string, string[]]> = [];
  for (const p of s.processes) steps.push([RUNNER_ACTOR, 'fork', [`child=${p}`]]);
  for (const st of s.steps) steps.push(line(st));
  for (const p of [...model.liveProcesses].reverse()) steps.push([p, 'exit', ['code=0']]);
  const out = [SCRIPT_MAGIC, `scenario ${s.name}`, `steps ${steps.length}`];
  steps.forEach(([by, kind, args], i) => out.push([`step ${i} ${by} ${kind}`, ...args].join(' ')));
  out.push('end', '');
  return out.join('\n');
}

/** Number of runner-made steps before the scenario's own steps in a compiled script. */
export function stepOffset(s: Scenario): number {
  return s.processes.length;
}

// --- internal ---

function line(st: Step): [string, string, string[]] {
  if (st.kind === 'capture-start') return [RUNNER_ACTOR, st.kind, []];
  const args: string[] = [];
  for (const [k, v] of Object.entries(st)) {
    if (k === 'kind' || k === 'by' || v === undefined || v === false) continue;
    if (k === 'to') args.push(...target(v as Target));
    else args.push(`${k}=${String(v)}`);
  }
  return [st.by, st.kind, args];
}

function target(t: Target): string[] {
  if ('sock' in t) return [`to=${t.sock}`];
  return [`addr=${t.addr}`, `port=${t.port ?? 0}`];
}
