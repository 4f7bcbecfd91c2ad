// The sensor as kmod/FORMAT.md (Hone 26.11) says it must write: from a
// truth.json, the events a reader of /dev/hone would get, in ring order.
// Outgoing data is attributed to the threads that wrote its bytes
// (by=sender), incoming data names no process (by=reader) and every read
// writes a read block, packets without data carry the socket's holders
// (by=holder), kept up to date by gain and lose blocks; the kernel's own
// ICMP copies name no process (by=none). Everything that is not
// attribution (which packets exist, their sizes, the order of blocks, when
// sockets are reported closed) follows what the real sensor writes on
// Debian guests (see ../README.md, "Fidelity"). The pieces:
//   _state      processes, sockets, clock; writing one event
//   _processes  snapshot, fork, exec, exit
//   _uses       read, gain and lose blocks
//   _tcp        handshake, segments, FIN/RST, closes
//   _data       tagged sends and their labels
import type { Truth, TruthStep } from '../../check/types.ts';
import type { SimCapture, Who } from '../events.ts';
import { RUNNER_EXE } from '../runner-model.ts';
import { parseEndpoint } from '../wire.ts';
import { send } from './_data.ts';
import { exec, exitBlocks, exitRelease, fork, openSection } from './_processes.ts';
import { DEFAULT_PIDNS, inet, SensorState } from './_state.ts';
import { accept, connect, release } from './_tcp.ts';
import { gain, lose, read } from './_uses.ts';

/**
 * Where an exit's effects land relative to the next step. The runner passes the turn on before it
 * calls _exit(), so an exit races the next step; in the kernel an exit is two parts, in this order:
 * the sched_process_exit tracepoint (kmod writes the EXIT block and, from hone_holders_scan, a lose
 * block for every socket the process held) and then exit_files (the last descriptors close: FINs,
 * close blocks). Each part races the next step.
 * - `after` (default, what most real runs show): both parts after the next step's effects;
 * - `blocks-first`: the EXIT and lose blocks in step order (before the next step's), the descriptors'
 *   release after the next step's (debian-7.2 fork-child-sends, first recording of 2026-11-27);
 * - `before`: both parts in step order;
 * - `fin-late`: both parts in step order, but a FIN the release sends reaches its peer (and what its
 *   arrival causes) only after the next step's effects. When the next step closes the peer, the two
 *   FINs cross: a simultaneous close (the peer's FIN does not ACK the exit's; each side then ACKs the
 *   other's FIN, both sockets go to TIME_WAIT, closed by the kernel). debian-7.2 fork-child-sends,
 *   re-recorded 2026-11-27 (b5a04ee): the child's FIN reached the server's LOCAL_IN after the
 *   server's own FIN (packet ids, and the server FIN's ack number).
 */
export type ExitOrder = 'after' | 'blocks-first' | 'before' | 'fin-late';
export const EXIT_ORDERS: readonly ExitOrder[] = ['after', 'blocks-first', 'before', 'fin-late'];

export interface SensorOptions {
  /** The resolution of the exit race (ExitOrder); default `after`. */
  exitOrder?: ExitOrder;
}

export function simulateSensor(truth: Truth, seed = 1, o: SensorOptions = {}): SimCapture {
  return run(new SensorState(truth, seed), o.exitOrder ?? 'after');
}

// --- internal ---

function run(s: SensorState, order: ExitOrder): SimCapture {
  const t = s.truth;
  const first = t.steps[0];
  const startStep = t.captureStartStep < 0 ? first : (t.steps.find((x) => x.step === t.captureStartStep) ?? first);
  const openNs = BigInt(startStep?.monoNs ?? 5_000_000_000) - 1_500_000n;
  const runnerParent = t.steps.find((x) => x.pid === t.runnerPid)?.ppid ?? 1;
  s.procs.set(1, {
    pid: 1,
    ppid: 0,
    startNs: 180_000_000n,
    nspid: 1,
    pidns: DEFAULT_PIDNS,
    exe: '/bin/busybox',
    argv: ['/bin/busybox', 'sh', '/init'],
    alive: true,
    execed: true,
  });
  s.procs.set(t.runnerPid, {
    pid: t.runnerPid,
    ppid: runnerParent,
    startNs: openNs - 20_000_000n,
    nspid: t.runnerPid,
    pidns: DEFAULT_PIDNS,
    exe: t.runnerExe || RUNNER_EXE,
    argv: ['hone-runner', 'run', `/tmp/hone/${t.scenario}/script`, `/tmp/hone/${t.scenario}`],
    alive: true,
    execed: true,
  });
  s.tids.set(t.runnerPid, t.runnerPid);
  if (t.captureStartStep < 0) openSection(s, openNs);
  const at = (st: TruthStep, f: () => void) => {
    const step = s.step;
    s.step = st.step;
    f();
    s.step = step;
  };
  // the runner passes the turn on before _exit(): an exit's effects usually land after the next step's
  let exiting: Array<Extract<TruthStep, { kind: 'exit' }>> = [];
  const late = (e: Extract<TruthStep, { kind: 'exit' }>) =>
    at(e, () => (order === 'blocks-first' ? exitRelease(s, e, 'now') : perform(s, e, order)));
  // fin-late: the FINs of an exit's release arrive after the next step's effects
  const arrive = () => {
    const due = s.lateArrivals;
    s.lateArrivals = [];
    for (const f of due) f();
  };
  /**
   * The exit was over (the runner saw the process gone) before the step whose effects it would
   * follow was (the next step that is no exit, else the last): its effects cannot follow that step's.
   */
  const overBeforeNext = (st: Extract<TruthStep, { kind: 'exit' }>) => {
    const rest = t.steps.slice(t.steps.indexOf(st) + 1);
    const later = rest.find((x) => x.kind !== 'exit') ?? rest[rest.length - 1];
    // a few dozen events of a few µs each follow that step's start
    return st.goneMonoNs !== undefined && later !== undefined && (later.endMonoNs ?? later.monoNs) + 300_000 > st.goneMonoNs;
  };
  for (const st of t.steps) {
    s.step = st.step;
    s.clock = s.clock > BigInt(st.monoNs) ? s.clock : BigInt(st.monoNs);
    if (st.kind === 'capture-start') {
      // an exit before the capture started belongs to the time before the snapshot
      for (const e of exiting) late(e);
      exiting = [];
      arrive();
      openSection(s, BigInt(st.monoNs));
      continue;
    }
    if (order === 'fin-late') {
      const due = s.lateArrivals;
      s.lateArrivals = [];
      perform(s, st, order);
      for (const f of due) f();
      continue;
    }
    if (st.kind === 'exit' && order !== 'before' && !overBeforeNext(st)) {
      // blocks-first: the tracepoint's blocks now, the descriptors' release after the next step
      if (order === 'blocks-first') exitBlocks(s, st);
      exiting.push(st);
      continue;
    }
    perform(s, st, order);
    for (const e of exiting) late(e);
    exiting = [];
  }
  for (const e of exiting) late(e);
  arrive();
  // sockets whose close waits for an RCU grace period (listeners, UDP, raw, ping) are reported last
  s.clock += 5_000_000n;
  for (const c of s.deferred) {
    s.closeEvent(s.socks.get(c)!, { pid: 0, tid: 0 });
    const e = s.out[s.out.length - 1];
    if (s.live && e?.kind === 'socket') e.meta.deferred = true;
  }
  s.out.push(s.stats());
  return { openNs, bootUs: BigInt(t.realMinusMonoUs), os: `Linux guest ${t.kernel} #1 SMP x86_64`, events: s.out };
}

/** One step of the truth: what the sensor writes for it. */
function perform(s: SensorState, st: TruthStep, order: ExitOrder): void {
  const who: Who = { pid: st.pid, tid: st.tid };
  const use = (cookie: string) => {
    const so = s.socks.get(cookie);
    if (so) so.lastUser = who;
    return so;
  };
  switch (st.kind) {
    case 'fork':
      fork(s, st);
      break;
    case 'thread':
      s.tids.set(st.threadTid, st.pid);
      break;
    case 'exec':
      exec(s, st, who);
      break;
    case 'exit':
      // the sensor drops every socket of an exiting process right after its EXIT block
      // (kmod: hone_holders_scan at the exit event); the descriptors close after that
      exitBlocks(s, st);
      exitRelease(s, st, order === 'fin-late' ? 'late' : 'now');
      break;
    case 'socket':
    case 'socketpair': {
      const made =
        st.kind === 'socket' ? [[st.sock, st.socket] as const] : [[st.sock, st.socket] as const, [st.peer, st.peerSocket] as const];
      for (const [h, so] of made) {
        const x = s.newSock(so, st, who);
        s.fds.open(st.pid, h, x.cookie, !!so.cloexec);
        if (inet(so)) {
          if (so.type === 3) x.hashed = true;
          if (s.live) s.emit(s.sockEvent('open', x, who));
        }
      }
      break;
    }
    case 'bind': {
      const so = use(st.socket.cookie);
      if (so && st.socket.local) {
        so.local = parseEndpoint(st.socket.local);
        so.hashed = true;
      }
      break;
    }
    case 'listen': {
      const so = use(st.socket.cookie);
      if (so) so.listening = true;
      break;
    }
    case 'connect':
      connect(s, st, who);
      break;
    case 'accept':
      accept(s, st, who);
      break;
    case 'send':
    case 'sendto':
      send(s, st, who);
      break;
    case 'recv':
    case 'recvfrom':
      read(s, st, use(st.socket.cookie), who);
      break;
    case 'shutdown':
      use(st.socket.cookie);
      break;
    case 'close': {
      const d = s.fds.close(st.pid, st.sock);
      const so = d ? use(d.sock) : undefined;
      // the process loses the socket with its last descriptor of it (dup keeps it)
      if (d && so && inet(so) && d.lost) lose(s, so, who, 'close');
      if (d) release(s, d.sock, who);
      break;
    }
    case 'dup':
      s.fds.open(st.pid, st.as, st.socket.cookie, false);
      use(st.socket.cookie);
      break;
    case 'recvfd': {
      const { already } = s.fds.receive(st.pid, st.as, st.socket.cookie);
      const so = use(st.socket.cookie);
      if (so && inet(so) && !already) gain(s, so, who, 'recv');
      break;
    }
    case 'sendfd':
      use(st.socket.cookie);
      s.fds.send(st.socket.cookie);
      break;
    case 'netns':
    case 'veth':
      for (const h of st.kind === 'netns' ? [st.helper] : [st.helper, st.peerHelper]) {
        const x = s.newSock(h, st, who);
        x.helper = true;
        x.netns = st.kind === 'netns' ? st.netnsAfter : h === st.helper ? st.netns : st.peerNetns;
        if (s.live) s.emit(s.sockEvent('open', x, who));
        lose(s, x, who, 'close');
        if (s.live) s.closeEvent(x, who);
        x.released = true;
      }
      break;
    case 'pidns':
    case 'sleep':
    case 'capture-start':
      break;
  }
}
