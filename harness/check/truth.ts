// Reading truth.json: checks the shape the checker relies on (the fields
// every step has, and the ones its kind adds), so that a truncated or
// foreign file fails with a clear message instead of a verdict.
import type { StepKind } from '../scenario/types.ts';
import { HoneError } from '../util/errors.ts';
import type { Truth } from './types.ts';

export function parseTruth(text: string, file = 'truth.json'): Truth {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new HoneError('E_CAPTURE', `${file} is not valid JSON (${(e as Error).message})`, {
      hint: 'the runner was probably killed before it finished; rerun the scenario',
    });
  }
  const bad = (why: string): never => {
    throw new HoneError('E_CAPTURE', `${file} is not a hone-runner truth file: ${why}`, {
      hint: 'rebuild harness/runner and rerun the scenario',
    });
  };
  if (typeof v !== 'object' || v === null) return bad('not an object');
  const t = v as Record<string, unknown>;
  if (t.version !== 1) bad(`version is ${JSON.stringify(t.version)}, expected 1`);
  if (typeof t.scenario !== 'string' || typeof t.runId !== 'string') bad('no scenario or runId');
  if (typeof t.ok !== 'boolean') bad('no ok flag');
  if (!Array.isArray(t.steps)) bad('no steps array');
  for (const [i, s] of (t.steps as unknown[]).entries()) {
    const st = s as Record<string, unknown>;
    if (typeof st !== 'object' || st === null) bad(`steps[${i}] is not an object`);
    for (const [k, type] of Object.entries(COMMON)) if (!has(st[k], type)) bad(`steps[${i}] lacks ${k} (${type})`);
    const fields = FIELDS[st.kind as StepKind];
    if (!fields) bad(`steps[${i}] has unknown kind ${JSON.stringify(st.kind)}`);
    for (const [k, type] of Object.entries(fields)) if (!has(st[k], type)) bad(`steps[${i}] (${String(st.kind)}) lacks ${k} (${type})`);
  }
  return v as Truth;
}

// --- internal ---

type FieldType = 'number' | 'string' | 'socket' | 'strings';

const COMMON: Record<string, FieldType> = {
  step: 'number',
  actor: 'string',
  kind: 'string',
  pid: 'number',
  tid: 'number',
  monoNs: 'number',
};

/** The fields the checker needs from each kind (the runner writes more, some only in newer versions). */
const FIELDS: { [K in StepKind]: Record<string, FieldType> } = {
  fork: { child: 'string', childPid: 'number' },
  thread: { thread: 'string', threadTid: 'number' },
  exec: { exe: 'string', argv: 'strings' },
  exit: { code: 'number' },
  socket: { sock: 'string', socket: 'socket' },
  socketpair: { sock: 'string', peer: 'string', socket: 'socket', peerSocket: 'socket' },
  bind: { sock: 'string', socket: 'socket' },
  listen: { sock: 'string', socket: 'socket' },
  connect: { sock: 'string', socket: 'socket' },
  accept: { sock: 'string', as: 'string', listener: 'socket', socket: 'socket' },
  send: { sock: 'string', socket: 'socket', bytes: 'number', tag: 'string' },
  recv: { sock: 'string', socket: 'socket', bytes: 'number', tags: 'strings' },
  sendto: { sock: 'string', socket: 'socket', bytes: 'number', tag: 'string', to: 'string' },
  recvfrom: { sock: 'string', socket: 'socket', bytes: 'number', tags: 'strings' },
  shutdown: { sock: 'string', socket: 'socket' },
  close: { sock: 'string', socket: 'socket' },
  dup: { sock: 'string', as: 'string', socket: 'socket' },
  sendfd: { via: 'string', socket: 'socket' },
  recvfd: { via: 'string', as: 'string', socket: 'socket' },
  netns: { netnsBefore: 'number', netnsAfter: 'number', helper: 'socket' },
  pidns: {},
  veth: { peer: 'string', peerPid: 'number', helper: 'socket', peerHelper: 'socket', peerNetns: 'number' },
  sleep: {},
  'capture-start': {},
};

function has(v: unknown, type: FieldType): boolean {
  switch (type) {
    case 'number':
      return typeof v === 'number';
    case 'string':
      return typeof v === 'string';
    case 'strings':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'socket': {
      const s = v as Record<string, unknown> | null;
      return (
        typeof s === 'object' && s !== null && typeof s.cookie === 'string' && typeof s.family === 'number' && typeof s.type === 'number'
      );
    }
  }
}
