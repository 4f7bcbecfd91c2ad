// Processes: the section's snapshot (every live process oldest first, each
// followed by one open block per inet socket in its file table), fork
// (the child gains every inet socket it inherits), exec (close-on-exec
// first: begin_new_exec closes them before the exec event), and exit in
// its two kernel parts: the sched_process_exit tracepoint (the EXIT block,
// then a lose block per socket held: hone_holders_scan) and exit_files
// (the descriptors close, the last ones release their sockets).
import type { TruthStep, TruthStepOf } from '../../check/types.ts';
import type { ProcessEvent, Who } from '../events.ts';
import { RUNNER_EXE } from '../runner-model.ts';
import { release } from './_tcp.ts';
import { gain, lose } from './_uses.ts';
import { DEFAULT_PIDNS, inet, type Proc, type SensorState } from './_state.ts';

/** The section head: snapshot of live processes and their sockets, then live events. */
export function openSection(s: SensorState, at: bigint): void {
  s.live = true;
  s.clock = at;
  const system: ProcessEvent[] = [
    s.proc('exec', s.procs.get(1)!, 1, { snapshot: true, time: 180_000_000n, scenario: false }),
    s.proc(
      'kthread',
      { pid: 2, ppid: 0, startNs: 188_000_000n, nspid: 2, pidns: DEFAULT_PIDNS, alive: true, execed: false, exe: '[kthreadd]' },
      2,
      { snapshot: true, time: 188_000_000n, scenario: false },
    ),
  ];
  s.out.push(...system);
  const scenarioPids = new Set(s.truth.steps.flatMap((x) => (x.kind === 'fork' ? [x.childPid] : [])));
  for (const p of [...s.procs.values()]
    .filter((x) => x.alive && x.pid > 2)
    .sort((a, b) => Number(a.startNs - b.startNs) || a.pid - b.pid)) {
    s.out.push(s.proc(p.execed ? 'exec' : 'fork', p, p.pid, { snapshot: true, time: p.startNs, scenario: scenarioPids.has(p.pid) }));
    for (const cookie of s.held(p.pid)) {
      const so = s.socks.get(cookie);
      if (!so || !inet(so)) continue;
      s.out.push(s.sockEvent('open', so, { pid: p.pid, tid: p.pid }, { snapshot: true, time: p.startNs }));
    }
  }
  // the runner's two capture readers, forked just before the first read
  for (const pid of [s.truth.runnerPid + 1, s.truth.runnerPid + 2]) {
    if (scenarioPids.has(pid) || s.tids.has(pid)) continue;
    const r: Proc = {
      pid,
      ppid: s.truth.runnerPid,
      startNs: at - 1_000_000n,
      nspid: pid,
      pidns: DEFAULT_PIDNS,
      alive: true,
      execed: false,
      exe: RUNNER_EXE,
      argv: s.procs.get(s.truth.runnerPid)!.argv!,
    };
    s.out.push(s.proc('fork', r, pid, { snapshot: true, time: r.startNs, scenario: false }));
  }
}

export function fork(s: SensorState, st: TruthStepOf<'fork'>): void {
  const parent = s.procs.get(st.pid);
  const first = s.truth.steps.find((x) => x.pid === st.childPid && x.step > st.step);
  // the child runs its parent's image (an exe and argv the snapshot would show) until it execs
  const child: Proc = {
    pid: st.childPid,
    ppid: st.pid,
    startNs: BigInt(st.monoNs) + 40_000n,
    alive: true,
    execed: false,
    nspid: first?.nspid ?? st.childNspid ?? st.childPid,
    pidns: first?.pidns ?? parent?.pidns ?? DEFAULT_PIDNS,
  };
  if (parent?.exe) {
    child.exe = parent.exe;
    child.argv = parent.argv;
  }
  s.procs.set(child.pid, child);
  s.tids.set(child.pid, child.pid);
  const inherited = s.fds.fork(st.pid, child.pid);
  if (s.live) s.emit(s.proc('fork', child, child.pid, { scenario: true }));
  // the child holds every socket of its descriptor table
  for (const c of inherited) {
    const so = s.socks.get(c);
    if (so && inet(so) && !so.released) gain(s, so, { pid: child.pid, tid: child.pid }, 'fork');
  }
}

export function exec(s: SensorState, st: TruthStepOf<'exec'>, who: Who): void {
  const proc = s.procs.get(st.pid);
  if (!proc) return;
  // close-on-exec (begin_new_exec: do_close_on_exec, before the exec event): a lose via close
  // when it was the process's last descriptor of the socket, its release when the last anywhere
  for (const d of s.fds.exec(st.pid)) {
    const so = s.socks.get(d.sock);
    if (so && inet(so) && d.lost) lose(s, so, who, 'close');
    release(s, d.sock, who);
  }
  proc.exe = st.exe;
  proc.argv = st.argv;
  proc.execed = true;
  if (s.live) s.emit(s.proc('exec', proc, st.pid, { scenario: true }));
}

/**
 * The first part of an exit (sched_process_exit): the EXIT block, then a lose block for every
 * socket the process holds (kmod: hone_holders_scan at the exit event). Its lose blocks name the
 * exit step's thread; the real sensor names whichever thread of the process exits last.
 */
export function exitBlocks(s: SensorState, st: TruthStepOf<'exit'>): void {
  const proc = s.procs.get(st.pid);
  if (!proc || !proc.alive) return;
  proc.alive = false;
  if (s.live) s.emit(s.proc('exit', proc, st.pid, { scenario: true, status: st.code << 8 }));
  for (const c of s.held(st.pid)) {
    const so = s.socks.get(c);
    if (so && inet(so)) lose(s, so, { pid: st.pid, tid: st.tid }, 'exit');
  }
}

/** The second part of an exit (exit_files): its descriptors close, the last ones release their sockets. */
export function exitRelease(s: SensorState, st: TruthStep, fin: 'now' | 'late'): void {
  const held = s.fds.exit(st.pid);
  s.finLate = fin === 'late';
  for (const c of held) release(s, c, { pid: st.pid, tid: st.tid });
  s.finLate = false;
}
