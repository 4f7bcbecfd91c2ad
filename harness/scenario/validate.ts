// Checks a scenario before any guest boots: the shape of every field, then a
// dry run of the steps (who is alive, which handles each process holds, what
// each socket is) so that a step the runner could not perform is rejected
// here with its file, index and reason.
import { isIPv4, isIPv6 } from 'node:net';
import { ScenarioError } from './errors.ts';
import { Descriptors } from './descriptors.ts';
import { DEFAULT_SIZE, RUNNER_ACTOR, TAG_LENGTH, type Scenario, type Step, type StepKind } from './types.ts';

/** What the dry run learned, for the compiler. */
export interface ScenarioModel {
  /** Main actors of processes still alive after the last step, in creation order. */
  liveProcesses: string[];
}

/** Validate an untyped value as a scenario. Throws ScenarioError; returns the typed scenario and its model. */
export function validateScenario(value: unknown, file = '<scenario>'): { scenario: Scenario; model: ScenarioModel } {
  const fail = (reason: string, step?: number, kind?: string): never => {
    throw new ScenarioError(file, step, reason, kind);
  };
  if (!isObject(value)) return fail('the scenario is not an object (export default a Scenario)');
  for (const key of Object.keys(value)) {
    if (!HEADER_KEYS.has(key)) fail(`unknown field "${key}" (known: ${[...HEADER_KEYS].join(', ')})`);
  }
  const { name, description, knownGap, needsFreshGuest, processes, steps } = value;
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(name)) fail('"name" must be lowercase letters, digits and dashes');
  if (typeof description !== 'string' || description.trim() === '') fail('"description" must be a non-empty string');
  if (knownGap !== undefined && (typeof knownGap !== 'string' || knownGap.trim() === ''))
    fail('"knownGap" must be a non-empty reason when set');
  if (needsFreshGuest !== undefined && typeof needsFreshGuest !== 'boolean') fail('"needsFreshGuest" must be a boolean');
  if (!Array.isArray(processes) || processes.length === 0) fail('"processes" must list at least one process name');
  if (!Array.isArray(steps) || steps.length === 0) fail('"steps" must be a non-empty array');
  if ((steps as unknown[]).length > 50_000) fail('more than 50000 steps');
  (steps as unknown[]).forEach((s, i) => checkShape(s, i, fail));
  const scenario = value as unknown as Scenario;
  const model = dryRun(scenario, fail);
  return { scenario, model };
}

// --- internal ---

const HEADER_KEYS = new Set(['name', 'description', 'knownGap', 'needsFreshGuest', 'processes', 'steps', 'file']);
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,30}$/;

type FieldType =
  | 'name'
  | 'bool'
  | 'int'
  | 'family'
  | 'socktype'
  | 'addr'
  | 'target'
  | 'how'
  | 'port'
  | 'size'
  | 'ms'
  | 'proto'
  | 'code'
  | 'sendvia'
  | 'recvvia';
type Fields = Record<string, { type: FieldType; optional?: boolean }>;
const req = (type: FieldType) => ({ type });
const opt = (type: FieldType) => ({ type, optional: true });

const SHAPES: { [K in StepKind]: Fields } = {
  fork: { by: req('name'), child: req('name') },
  thread: { by: req('name'), thread: req('name') },
  exec: { by: req('name') },
  exit: { by: req('name'), code: opt('code') },
  socket: {
    by: req('name'),
    sock: req('name'),
    family: req('family'),
    type: req('socktype'),
    proto: opt('proto'),
    cloexec: opt('bool'),
    reuseport: opt('bool'),
  },
  socketpair: { by: req('name'), sock: req('name'), peer: req('name') },
  bind: { by: req('name'), sock: req('name'), addr: req('addr'), port: opt('port') },
  listen: { by: req('name'), sock: req('name'), backlog: opt('int') },
  connect: { by: req('name'), sock: req('name'), to: req('target') },
  accept: { by: req('name'), sock: req('name'), as: req('name'), cloexec: opt('bool') },
  send: { by: req('name'), sock: req('name'), size: opt('size'), more: opt('bool'), via: opt('sendvia') },
  recv: { by: req('name'), sock: req('name'), size: opt('size'), via: opt('recvvia') },
  sendto: { by: req('name'), sock: req('name'), to: req('target'), size: opt('size') },
  recvfrom: { by: req('name'), sock: req('name'), size: opt('size') },
  shutdown: { by: req('name'), sock: req('name'), how: req('how') },
  close: { by: req('name'), sock: req('name') },
  dup: { by: req('name'), sock: req('name'), as: req('name') },
  sendfd: { by: req('name'), via: req('name'), sock: req('name') },
  recvfd: { by: req('name'), via: req('name'), as: req('name') },
  netns: { by: req('name') },
  pidns: { by: req('name') },
  veth: { by: req('name'), peer: req('name'), addr: req('addr'), peerAddr: req('addr') },
  sleep: { by: req('name'), ms: req('ms') },
  'capture-start': {},
};

type Fail = (reason: string, step?: number, kind?: string) => never;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkShape(s: unknown, i: number, fail: Fail): void {
  if (!isObject(s)) return fail('a step must be an object with a "kind"', i);
  const kind = s.kind;
  if (typeof kind !== 'string' || !(kind in SHAPES)) {
    return fail(`unknown kind ${JSON.stringify(kind)} (known: ${Object.keys(SHAPES).join(', ')})`, i, String(kind));
  }
  const shape = SHAPES[kind as StepKind];
  for (const key of Object.keys(s)) {
    if (key !== 'kind' && !(key in shape))
      fail(`unknown field "${key}" (a ${kind} step has: ${Object.keys(shape).join(', ') || 'no fields'})`, i, kind);
  }
  for (const [key, f] of Object.entries(shape)) {
    const v = s[key];
    if (v === undefined) {
      if (!f.optional) fail(`missing field "${key}"`, i, kind);
      continue;
    }
    const why = fieldProblem(f.type, v);
    if (why) fail(`field "${key}" ${why}`, i, kind);
  }
}

function fieldProblem(type: FieldType, v: unknown): string | undefined {
  const int = (lo: number, hi: number) =>
    Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi ? undefined : `must be an integer from ${lo} to ${hi}`;
  switch (type) {
    case 'name':
      return typeof v === 'string' && NAME.test(v) ? undefined : 'must be a name (a letter, then letters, digits or _; at most 31)';
    case 'bool':
      return typeof v === 'boolean' ? undefined : 'must be true or false';
    case 'int':
      return int(0, 65535);
    case 'port':
      return int(0, 65535);
    case 'size':
      return int(TAG_LENGTH, 60000);
    case 'ms':
      return int(0, 10000);
    case 'proto':
      return int(0, 255);
    case 'code':
      return int(0, 255);
    case 'family':
      return v === 'inet' || v === 'inet6' ? undefined : 'must be "inet" or "inet6"';
    case 'socktype':
      return v === 'stream' || v === 'dgram' || v === 'raw' ? undefined : 'must be "stream", "dgram" or "raw"';
    case 'sendvia':
      return v === 'sendfile' ? undefined : 'must be "sendfile" (or left out for a plain send)';
    case 'recvvia':
      return v === 'splice' ? undefined : 'must be "splice" (or left out for a plain recv)';
    case 'how':
      return v === 'rd' || v === 'wr' || v === 'rdwr' ? undefined : 'must be "rd", "wr" or "rdwr"';
    case 'addr':
      return typeof v === 'string' && (isIPv4(v) || isIPv6(v)) ? undefined : 'must be an IPv4 or IPv6 address';
    case 'target': {
      if (!isObject(v)) return 'must be { sock } or { addr, port? }';
      if ('sock' in v)
        return Object.keys(v).length === 1 && typeof v.sock === 'string' && NAME.test(v.sock) ? undefined : 'must be { sock: NAME }';
      if (typeof v.addr !== 'string' || !(isIPv4(v.addr) || isIPv6(v.addr))) return 'must have an IPv4 or IPv6 "addr"';
      if (Object.keys(v).some((k) => k !== 'addr' && k !== 'port')) return 'has fields other than addr and port';
      if (v.port !== undefined && !(Number.isInteger(v.port) && (v.port as number) >= 0 && (v.port as number) <= 65535))
        return 'has a port that is not 0-65535';
      return undefined;
    }
  }
}

interface SockState {
  family: 'inet' | 'inet6' | 'unix';
  type: 'stream' | 'dgram' | 'raw';
  proto: number;
  bound: boolean;
  listening: boolean;
  connected: boolean;
  reuseport: boolean;
  /** socketpair: the other end. */
  peer?: number;
  /** fds in flight towards this end (socketpair). */
  inflight: number[];
  /** Step index of a `send` with `more: true` whose bytes the socket still holds (stream). */
  heldSince?: number;
}

interface ProcState {
  /** Its number in the dry run's descriptor tables. */
  id: number;
  main: string;
  alive: boolean;
  threads: Set<string>;
}

function dryRun(s: Scenario, fail: Fail): ScenarioModel {
  const actors = new Map<string, { proc: ProcState; thread: boolean }>();
  const procs: ProcState[] = [];
  const sockets: SockState[] = [];
  const fds = new Descriptors<number>();
  /** handle name -> socket, as last introduced (for { sock } targets). */
  const lastSocketOf = new Map<string, number>();
  const seen = new Set<string>();
  let captureStarts = 0;
  /** The last descriptor of a socket going away sends what it held back (tcp_close pushes the queue). */
  const flushIfReleased = (idxs: number[]) => {
    for (const idx of idxs) if (fds.released(idx)) delete sockets[idx]!.heldSince;
  };

  const newProcess = (name: string, parent?: ProcState, i?: number) => {
    const kind = i === undefined ? undefined : 'fork';
    if (!NAME.test(name) || name === RUNNER_ACTOR)
      fail(`process name ${JSON.stringify(name)} is not a valid actor name (and "runner" is reserved)`, i, kind);
    if (seen.has(name)) fail(`actor "${name}" is defined twice`, i, kind);
    seen.add(name);
    const p: ProcState = { id: procs.length + 1, main: name, alive: true, threads: new Set() };
    if (parent) fds.fork(parent.id, p.id);
    procs.push(p);
    actors.set(name, { proc: p, thread: false });
  };
  for (const p of s.processes) {
    if (typeof p !== 'string') fail('"processes" must hold names');
    newProcess(p);
  }

  s.steps.forEach((step: Step, i) => {
    const f = (reason: string): never => fail(reason, i, step.kind);
    if (step.kind === 'capture-start') {
      if (++captureStarts > 1) f('capture-start appears twice');
      return;
    }
    const actor = actors.get(step.by) ?? f(`actor "${step.by}" does not exist (yet): create it with processes, fork or thread`);
    const proc = actor.proc;
    if (!proc.alive) f(`actor "${step.by}" belongs to a process that already exited`);
    const handle = (name: string): number => fds.get(proc.id, name)?.sock ?? f(`process "${proc.main}" holds no handle "${name}"`);
    const sockOf = (name: string): SockState => sockets[handle(name)]!;
    const inet = (name: string): SockState => {
      const so = sockOf(name);
      if (so.family === 'unix') f(`"${name}" is a unix socket; this step needs an inet or inet6 socket`);
      return so;
    };
    const introduce = (name: string, sock: number, cloexec = false) => {
      for (const p of procs)
        if (p.alive && fds.get(p.id, name)) f(`handle "${name}" is still open in process "${p.main}": pick another name`);
      fds.open(proc.id, name, sock, cloexec);
      lastSocketOf.set(name, sock);
    };
    const mainOnly = (what: string) => {
      if (actor.thread) f(`${what} must be done by a process's main actor, not thread "${step.by}"`);
      if (proc.threads.size > 0) f(`${what} in a process with threads (${[...proc.threads].join(', ')}) is not supported`);
    };
    const checkTarget = (so: SockState, to: { sock: string } | { addr: string; port?: number }) => {
      if ('sock' in to) {
        const t = lastSocketOf.get(to.sock) ?? f(`target "${to.sock}" names no socket`);
        const ts = sockets[t]!;
        if (!ts.bound) f(`target "${to.sock}" is not bound: bind it before connecting or sending to it`);
        if (ts.family !== so.family) f(`target "${to.sock}" is ${ts.family}, the socket is ${so.family}`);
        return ts;
      } else if ((so.family === 'inet' && !isIPv4(to.addr)) || (so.family === 'inet6' && !isIPv6(to.addr))) {
        f(`address ${to.addr} does not fit a ${so.family} socket`);
      }
      return undefined;
    };

    switch (step.kind) {
      case 'fork':
        newProcess(step.child, proc, i);
        break;
      case 'thread':
        if (seen.has(step.thread) || step.thread === RUNNER_ACTOR) f(`actor "${step.thread}" is defined twice`);
        seen.add(step.thread);
        proc.threads.add(step.thread);
        actors.set(step.thread, { proc, thread: true });
        break;
      case 'exec':
        mainOnly('exec');
        // close-on-exec: the cloexec handles are gone in the new image
        flushIfReleased(fds.exec(proc.id).map((d) => d.sock));
        break;
      case 'exit':
        mainOnly('exit');
        proc.alive = false;
        flushIfReleased(fds.exit(proc.id));
        break;
      case 'netns':
      case 'pidns':
        mainOnly(step.kind);
        break;
      case 'veth': {
        mainOnly('veth');
        const peer = actors.get(step.peer) ?? f(`peer "${step.peer}" does not exist (yet)`);
        if (peer.thread) f(`peer "${step.peer}" is a thread; name its process's main actor`);
        if (peer.proc === proc) f('peer must be another process (each in its own network namespace)');
        if (!peer.proc.alive) f(`peer "${step.peer}" already exited`);
        if (!isIPv4(step.addr) || !isIPv4(step.peerAddr)) f('veth addresses are IPv4');
        if (step.addr === step.peerAddr) f('the two ends need different addresses');
        break;
      }
      case 'socket': {
        const proto = step.proto ?? 0;
        if (step.type === 'raw' && (proto === 0 || proto === 6 || proto === 17)) f('a raw socket needs "proto" (e.g. 253), not 0, 6 or 17');
        if (step.type === 'dgram' && proto !== 0 && proto !== 17 && proto !== 1 && proto !== 58)
          f(`a dgram socket's proto must be 0, 17 (UDP) or a ping socket's 1/58, not ${proto}`);
        if (step.type === 'dgram' && ((proto === 1 && step.family !== 'inet') || (proto === 58 && step.family !== 'inet6')))
          f('ping sockets are inet with proto 1 or inet6 with proto 58');
        if (step.type === 'stream' && proto !== 0 && proto !== 6) f(`a stream socket's proto must be 0 or 6, not ${proto}`);
        if (step.reuseport && step.type === 'raw') f('reuseport is for TCP and UDP sockets');
        sockets.push({
          family: step.family,
          type: step.type,
          proto,
          bound: false,
          listening: false,
          connected: false,
          reuseport: !!step.reuseport,
          inflight: [],
        });
        introduce(step.sock, sockets.length - 1, !!step.cloexec);
        break;
      }
      case 'socketpair': {
        if (step.sock === step.peer) f('"sock" and "peer" must differ');
        const a =
          sockets.push({
            family: 'unix',
            type: 'stream',
            proto: 0,
            bound: true,
            listening: false,
            connected: true,
            reuseport: false,
            inflight: [],
          }) - 1;
        const b =
          sockets.push({
            family: 'unix',
            type: 'stream',
            proto: 0,
            bound: true,
            listening: false,
            connected: true,
            reuseport: false,
            inflight: [],
          }) - 1;
        sockets[a]!.peer = b;
        sockets[b]!.peer = a;
        introduce(step.sock, a);
        introduce(step.peer, b);
        break;
      }
      case 'bind': {
        const so = inet(step.sock);
        if (so.bound) f(`"${step.sock}" is already bound`);
        if ((so.family === 'inet' && !isIPv4(step.addr)) || (so.family === 'inet6' && !isIPv6(step.addr)))
          f(`address ${step.addr} does not fit a ${so.family} socket`);
        if (so.reuseport && !step.port) f('a reuseport socket needs a fixed port: the members of a group share it');
        so.bound = true;
        break;
      }
      case 'listen': {
        const so = inet(step.sock);
        if (so.type !== 'stream') f(`"${step.sock}" is not a stream socket`);
        so.listening = true;
        so.bound = true;
        break;
      }
      case 'connect': {
        const so = inet(step.sock);
        if (so.listening) f(`"${step.sock}" is listening`);
        if (so.type === 'stream' && so.connected) f(`"${step.sock}" is already connected`);
        checkTarget(so, step.to);
        so.connected = true;
        so.bound = true;
        break;
      }
      case 'accept': {
        const so = inet(step.sock);
        if (!so.listening) f(`"${step.sock}" is not listening: listen on it first`);
        sockets.push({
          family: so.family,
          type: 'stream',
          proto: so.proto,
          bound: true,
          listening: false,
          connected: true,
          reuseport: false,
          inflight: [],
        });
        introduce(step.as, sockets.length - 1, !!step.cloexec);
        break;
      }
      case 'send':
      case 'recv': {
        const so = inet(step.sock);
        if (!so.connected) f(`"${step.sock}" is not connected: ${step.kind} needs a connected socket (use sendto/recvfrom otherwise)`);
        if (step.via !== undefined && so.type !== 'stream')
          f(`"${step.sock}" is not a stream socket: via: '${step.via}' is only for stream (TCP) sockets`);
        if (step.kind === 'send' && step.via !== undefined && step.more)
          f(`more: true cannot be combined with via: 'sendfile' (sendfile() takes no MSG_MORE)`);
        if (step.kind === 'recv') {
          // the peer of a corked socket is not known here: refuse any recv while some socket holds back bytes
          const held = sockets.find((x) => x.heldSince !== undefined);
          if (held)
            f(
              `a socket still holds the bytes of the send with more: true at step ${held.heldSince}: send on it without more (or close it) before anything is read, or the read waits for bytes that never leave`,
            );
        } else if (step.more) {
          if (so.type !== 'stream') f(`"${step.sock}" is not a stream socket: more: true (MSG_MORE) is only for stream sockets`);
          so.heldSince ??= i;
        } else {
          delete so.heldSince;
        }
        break;
      }
      case 'sendto': {
        const so = inet(step.sock);
        if (so.type === 'stream') f(`"${step.sock}" is a stream socket: use send`);
        const ts = checkTarget(so, step.to);
        if (ts?.reuseport && (step.size ?? DEFAULT_SIZE) <= TAG_LENGTH)
          f(`sending to a reuseport socket needs size > ${TAG_LENGTH}: the runner steers by the byte after the tag`);
        so.bound = true;
        break;
      }
      case 'recvfrom': {
        const so = inet(step.sock);
        if (so.type === 'stream') f(`"${step.sock}" is a stream socket: use recv`);
        if (!so.bound) f(`"${step.sock}" has no address yet: nothing can arrive on it`);
        break;
      }
      case 'shutdown':
        inet(step.sock);
        break;
      case 'close': {
        const idx = handle(step.sock);
        fds.close(proc.id, step.sock);
        flushIfReleased([idx]);
        break;
      }
      case 'dup':
        introduce(step.as, handle(step.sock));
        break;
      case 'sendfd': {
        const via = sockOf(step.via);
        if (via.family !== 'unix' || via.peer === undefined) f(`"${step.via}" is not a socketpair end`);
        const sent = handle(step.sock);
        sockets[via.peer!]!.inflight.push(sent);
        fds.send(sent);
        break;
      }
      case 'recvfd': {
        const via = sockOf(step.via);
        if (via.family !== 'unix') f(`"${step.via}" is not a socketpair end`);
        const got = via.inflight.shift() ?? f(`nothing was sent to "${step.via}" with sendfd before this step`);
        for (const p of procs)
          if (p.alive && fds.get(p.id, step.as)) f(`handle "${step.as}" is still open in process "${p.main}": pick another name`);
        fds.receive(proc.id, step.as, got);
        lastSocketOf.set(step.as, got);
        break;
      }
      case 'sleep':
        break;
    }
  });
  for (const so of sockets) if (so.inflight.length > 0) fail('a socket sent with sendfd is never received with recvfd');
  return { liveProcesses: procs.filter((p) => p.alive).map((p) => p.main) };
}
