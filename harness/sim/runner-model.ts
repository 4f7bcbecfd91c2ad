// The runner without a guest: performs a scenario's compiled script on a
// model of the kernel's sockets and processes and writes the truth.json the
// C runner (harness/runner) would write, deterministic for a seed. Pids,
// tids, cookies, inodes, ports and times are drawn from the seed; what the
// runner records (tags read, addresses, exec argv, each step's time window,
// each read call, its /proc view at capture-start) follows its README.
import { compileScenario } from '../scenario/compile.ts';
import { Descriptors } from '../scenario/descriptors.ts';
import { RUNNER_ACTOR, type Scenario } from '../scenario/types.ts';
import { AF, IPPROTO, SOCK_TYPE } from '../capture/constants.ts';
import type { Truth, TruthSocket, TruthStep, TruthStepBase } from '../check/types.ts';
import { makeRng, type Rng } from './rng.ts';
import { formatEndpoint, type Endpoint } from './wire.ts';

export const SIM_KERNEL = 'simulated';
export const RUNNER_EXE = '/usr/bin/hone-runner';
export const INIT_NETNS = 4026531840;
export const INIT_PIDNS = 4026531836;

interface Sock {
  cookie: string;
  ino: number;
  family: number;
  type: number;
  proto: number;
  netns: number;
  local?: Endpoint;
  remote?: Endpoint;
  unix: boolean;
  listening: boolean;
  reuseport: boolean;
  /** Listener: server ends of connections not accepted yet. */
  pending: string[];
  /** Stream bytes queued for reading: tag and byte offset of each send. */
  stream: Array<{ tag: string; start: number }>;
  written: number;
  readPos: number;
  dgrams: Array<{ tag: string; bytes: number; from: string }>;
}

interface Proc {
  pid: number;
  ppid: number;
  netns: number;
  pidns: number;
  /** Its pid in its own pid namespace, when that is not the initial one. */
  nspid?: number;
  /** Children of an unshare(CLONE_NEWPID) go here, numbered from 1. */
  childPidns?: { ino: number; next: number };
}

interface Actor {
  pid: number;
  tid: number;
}

/** Derive the truth of one run of `scenario` for `seed`. */
export function deriveTruth(scenario: Scenario, seed: number): Truth {
  return new RunnerModel(scenario, makeRng(seed).fork(`runner:${scenario.name}`)).run();
}

export function loopbackIfAny(addr: string): string {
  return addr === '0.0.0.0' ? '127.0.0.1' : addr === '::' ? '::1' : addr;
}

// --- internal ---

class RunnerModel {
  private readonly rng: Rng;
  private readonly scenario: Scenario;
  private readonly runId: string;
  private nextPid: number;
  private nextCookie: number;
  private nextIno: number;
  private mono: number;
  private readonly realMinusMonoUs: number;
  private readonly runnerPid: number;
  private readonly actors = new Map<string, Actor>();
  private readonly procs = new Map<number, Proc>();
  private readonly socks = new Map<string, Sock>();
  private readonly fds = new Descriptors<string>();
  /** Handle name -> cookie, latest binding over all processes (targets of connect/sendto). */
  private readonly handles = new Map<string, string>();
  private readonly usedPorts = new Set<number>();
  /** Connected stream sockets: cookie -> the other end's cookie. */
  private readonly peers = new Map<string, string>();
  /** Descriptors in flight over SCM_RIGHTS. */
  private readonly inflight: string[] = [];

  constructor(scenario: Scenario, rng: Rng) {
    this.scenario = scenario;
    this.rng = rng;
    this.runId = rng.hex(8);
    this.runnerPid = rng.int(110, 400);
    this.nextPid = this.runnerPid + 1;
    this.nextCookie = rng.int(0x10, 0x900);
    this.nextIno = rng.int(400, 12000);
    this.mono = rng.int(2_000_000_000, 40_000_000_000);
    this.realMinusMonoUs = 1795806967201545 + rng.int(0, 5_000_000);
  }

  run(): Truth {
    const lines = compileScenario(this.scenario)
      .split('\n')
      .filter((l) => l.startsWith('step '));
    this.procs.set(this.runnerPid, {
      pid: this.runnerPid,
      ppid: this.runnerPid - this.rng.int(1, 5),
      netns: INIT_NETNS,
      pidns: INIT_PIDNS,
    });
    this.actors.set(RUNNER_ACTOR, { pid: this.runnerPid, tid: this.runnerPid });
    let captureStartStep = -1;
    const steps: TruthStep[] = [];
    const parsed = lines.map(parseLine);
    if (!parsed.some((p) => p.kind === 'capture-start')) this.nextPid += 2; // the two capture readers
    for (const p of parsed) {
      this.mono += this.rng.int(120_000, 1_200_000);
      if (p.kind === 'capture-start') {
        captureStartStep = p.index;
        this.nextPid += 2;
      }
      const st = this.step(p);
      // the step's system calls take a while; a sleep its milliseconds
      this.mono += this.rng.int(300_000, 500_000) + (p.kind === 'sleep' ? Number(p.args.ms ?? 0) * 1_000_000 : 0);
      st.endMonoNs = this.mono;
      steps.push(st);
    }
    // an exit's effects may land after the next step's (the runner passes the turn before _exit()): the
    // controller sees the process gone a little after that
    steps.forEach((st, i) => {
      if (st.kind === 'exit') st.goneMonoNs = (steps[i + 1]?.endMonoNs ?? st.endMonoNs!) + 2_000_000;
    });
    const settled = Math.max(...steps.map((s) => (s.kind === 'exit' ? s.goneMonoNs! : s.endMonoNs!))) + 300_000_000;
    return {
      version: 1,
      scenario: this.scenario.name,
      runId: this.runId,
      ok: true,
      runnerPid: this.runnerPid,
      runnerExe: RUNNER_EXE,
      kernel: SIM_KERNEL,
      capture: true,
      captureStartStep,
      realMinusMonoUs: this.realMinusMonoUs,
      settledMonoNs: settled,
      captureStopMonoNs: settled + 40_000_000,
      stepCount: steps.length,
      steps,
    };
  }

  private step(p: ParsedLine): TruthStep {
    const actor = this.actors.get(p.actor);
    if (!actor) throw new Error(`sim runner: step ${p.index}: unknown actor ${p.actor}`);
    const proc = this.procs.get(actor.pid)!;
    const base: TruthStepBase = {
      step: p.index,
      actor: p.actor,
      pid: actor.pid,
      tid: actor.tid,
      ppid: proc.ppid,
      monoNs: this.mono,
      realUs: this.realMinusMonoUs + Math.floor(this.mono / 1000),
      netns: proc.netns,
      pidns: proc.pidns,
    };
    if (proc.nspid !== undefined) base.nspid = proc.nspid;
    const a = p.args;
    const handle = (name: string) => {
      const d = this.fds.get(proc.pid, name);
      if (!d) throw new Error(`sim runner: step ${p.index}: ${p.actor} has no handle ${name}`);
      return { sock: this.socks.get(d.sock)!, fd: d.fd! };
    };
    const view = (s: Sock, fd: number): TruthSocket => {
      const v: TruthSocket = { cookie: s.cookie, fd, ino: s.ino, family: s.family, type: s.type, proto: s.proto };
      // the runner writes cloexec for a descriptor with FD_CLOEXEC (fcntl F_GETFD)
      if (this.fds.handles(proc.pid).some(([, d]) => d.fd === fd && d.cloexec)) v.cloexec = true;
      if (s.reuseport) v.reuseport = true;
      if (!s.unix) v.local = formatEndpoint(s.local ?? anyAddr(s.family, 0));
      if (s.remote) v.remote = formatEndpoint(s.remote);
      return v;
    };
    const sock = a.sock ?? '';
    switch (p.kind) {
      case 'fork': {
        const pid = this.nextPid++;
        const child: Proc = { pid, ppid: proc.pid, netns: proc.netns, pidns: proc.pidns };
        if (proc.nspid !== undefined) child.nspid = this.rng.int(2, 9);
        if (proc.childPidns) {
          child.pidns = proc.childPidns.ino;
          child.nspid = proc.childPidns.next++;
        }
        this.procs.set(pid, child);
        this.fds.fork(proc.pid, pid);
        this.actors.set(a.child!, { pid, tid: pid });
        return { ...base, kind: 'fork', child: a.child!, childPid: pid, ...(proc.nspid !== undefined ? { childNspid: child.nspid! } : {}) };
      }
      case 'thread': {
        const tid = this.nextPid++;
        this.actors.set(a.thread!, { pid: actor.pid, tid });
        return { ...base, kind: 'thread', thread: a.thread!, threadTid: tid };
      }
      case 'exec': {
        const dir = `/tmp/hone/${this.scenario.name}`;
        // close-on-exec: the new image has no cloexec descriptors
        this.fds.exec(proc.pid);
        return { ...base, kind: 'exec', exe: RUNNER_EXE, argv: [RUNNER_EXE, 'resume', `${dir}/script`, dir, p.actor, String(p.index)] };
      }
      case 'exit':
        this.fds.exit(proc.pid);
        return { ...base, kind: 'exit', code: Number(a.code ?? 0) };
      case 'socket': {
        const family = a.family === 'inet6' ? AF.INET6 : AF.INET;
        const type = a.type === 'stream' ? SOCK_TYPE.STREAM : a.type === 'dgram' ? SOCK_TYPE.DGRAM : SOCK_TYPE.RAW;
        const proto =
          a.proto !== undefined ? Number(a.proto) : type === SOCK_TYPE.STREAM ? IPPROTO.TCP : type === SOCK_TYPE.DGRAM ? IPPROTO.UDP : 0;
        const s = this.newSock(family, type, proto, proc.netns);
        s.reuseport = a.reuseport === 'true';
        if (type === SOCK_TYPE.RAW) s.local = anyAddr(family, proto);
        const fd = this.open(proc, sock, s, a.cloexec === 'true');
        return { ...base, kind: 'socket', sock, socket: view(s, fd), ...(a.cloexec === 'true' ? { cloexec: true } : {}) };
      }
      case 'socketpair': {
        const s1 = this.newSock(AF.UNIX, SOCK_TYPE.STREAM, 0, proc.netns);
        const s2 = this.newSock(AF.UNIX, SOCK_TYPE.STREAM, 0, proc.netns);
        const f1 = this.open(proc, sock, s1);
        const f2 = this.open(proc, a.peer!, s2);
        return { ...base, kind: 'socketpair', sock, peer: a.peer!, socket: view(s1, f1), peerSocket: view(s2, f2) };
      }
      case 'bind': {
        const h = handle(sock);
        const port = Number(a.port ?? 0) || this.ephemeral();
        this.usedPorts.add(port);
        h.sock.local = { addr: a.addr!, port };
        const group = h.sock.reuseport
          ? [...this.socks.values()].filter((x) => x !== h.sock && x.reuseport && x.local?.port === port && x.family === h.sock.family)
              .length
          : undefined;
        return { ...base, kind: 'bind', sock, socket: view(h.sock, h.fd), ...(group !== undefined ? { reuseportIndex: group } : {}) };
      }
      case 'listen': {
        const h = handle(sock);
        h.sock.listening = true;
        return { ...base, kind: 'listen', sock, socket: view(h.sock, h.fd) };
      }
      case 'connect': {
        const h = handle(sock);
        const target = this.target(a);
        h.sock.remote = target.end;
        h.sock.local = { addr: this.ownAddress(proc, target.end), port: h.sock.local?.port || this.ephemeral() };
        if (h.sock.type === SOCK_TYPE.STREAM && target.sock) this.handshake(h.sock, target.sock);
        return { ...base, kind: 'connect', sock, socket: view(h.sock, h.fd), ...(target.sock ? { toCookie: target.sock.cookie } : {}) };
      }
      case 'accept': {
        const l = handle(sock);
        const serverCookie = l.sock.pending.shift();
        if (!serverCookie) throw new Error(`sim runner: step ${p.index}: nothing to accept on ${sock}`);
        const s = this.socks.get(serverCookie)!;
        s.netns = proc.netns;
        const fd = this.open(proc, a.as!, s, a.cloexec === 'true');
        return {
          ...base,
          kind: 'accept',
          sock,
          as: a.as!,
          listener: view(l.sock, l.fd),
          socket: view(s, fd),
          ...(a.cloexec === 'true' ? { cloexec: true } : {}),
        };
      }
      case 'send':
      case 'sendto': {
        const h = handle(sock);
        const size = Number(a.size ?? 64);
        const tag = `<HT:${this.runId}:${String(p.index).padStart(6, '0')}>`;
        if (h.sock.type === SOCK_TYPE.STREAM) {
          const peer = this.socks.get(this.peers.get(h.sock.cookie) ?? '');
          if (peer) {
            peer.stream.push({ tag, start: peer.written });
            peer.written += size;
          }
          return {
            ...base,
            kind: 'send',
            sock,
            socket: view(h.sock, h.fd),
            bytes: size,
            tag,
            ...(a.more === 'true' ? { more: true } : {}),
            ...(a.via !== undefined ? { via: a.via } : {}),
          };
        }
        const target = p.kind === 'sendto' ? this.target(a) : { end: h.sock.remote!, sock: undefined };
        this.datagram(h.sock, target.end, tag, size, target.sock);
        const socket = view(h.sock, h.fd);
        if (p.kind === 'send') return { ...base, kind: 'send', sock, socket, bytes: size, tag };
        return {
          ...base,
          kind: 'sendto',
          sock,
          socket,
          bytes: size,
          tag,
          to: formatEndpoint(target.end),
          ...(target.sock ? { toCookie: target.sock.cookie } : {}),
        };
      }
      case 'recv':
      case 'recvfrom': {
        const h = handle(sock);
        const size = Number(a.size ?? 64);
        let bytes: number;
        let tags: string[];
        let from: string | undefined;
        if (h.sock.type === SOCK_TYPE.STREAM) {
          const start = h.sock.readPos;
          h.sock.readPos += size;
          bytes = size;
          tags = h.sock.stream.filter((x) => x.start >= start && x.start + 20 <= h.sock.readPos).map((x) => x.tag);
        } else {
          const d = h.sock.dgrams.shift();
          bytes = d?.bytes ?? 0;
          tags = d ? [d.tag] : [];
          from = d?.from;
        }
        const rec = { ...base, sock, socket: view(h.sock, h.fd), bytes, tags, reads: bytes > 0 ? [bytes] : [] };
        if (p.kind === 'recv') return { ...rec, kind: 'recv', ...(a.via !== undefined ? { via: a.via } : {}) };
        return { ...rec, kind: 'recvfrom', ...(from !== undefined ? { from } : {}) };
      }
      case 'shutdown': {
        const h = handle(sock);
        return { ...base, kind: 'shutdown', sock, how: a.how ?? 'rdwr', socket: view(h.sock, h.fd) };
      }
      case 'close': {
        const h = handle(sock);
        const socket = view(h.sock, h.fd);
        this.fds.close(proc.pid, sock);
        return { ...base, kind: 'close', sock, socket };
      }
      case 'dup': {
        const h = handle(sock);
        const fd = this.open(proc, a.as!, h.sock);
        return { ...base, kind: 'dup', sock, as: a.as!, socket: view(h.sock, fd) };
      }
      case 'sendfd': {
        const h = handle(sock);
        this.inflight.push(h.sock.cookie);
        this.fds.send(h.sock.cookie);
        return { ...base, kind: 'sendfd', sock, via: a.via!, socket: view(h.sock, h.fd) };
      }
      case 'recvfd': {
        const cookie = this.inflight.shift();
        if (!cookie) throw new Error(`sim runner: step ${p.index}: no descriptor in flight`);
        const s = this.socks.get(cookie)!;
        const fd = this.lowestFd(proc);
        this.fds.receive(proc.pid, a.as!, cookie, fd);
        this.handles.set(a.as!, cookie);
        return { ...base, kind: 'recvfd', via: a.via!, as: a.as!, socket: view(s, fd) };
      }
      case 'netns': {
        const before = proc.netns;
        const after = 4026532000 + this.rng.int(100, 400);
        const helper = this.newSock(AF.INET, SOCK_TYPE.DGRAM, IPPROTO.UDP, after);
        const hv = view(helper, this.lowestFd(proc));
        proc.netns = after;
        return { ...base, kind: 'netns', netnsBefore: before, netnsAfter: after, helper: hv };
      }
      case 'pidns': {
        proc.childPidns = { ino: INIT_PIDNS + this.rng.int(300, 900), next: 1 };
        return { ...base, kind: 'pidns', pidnsBefore: proc.pidns };
      }
      case 'veth': {
        const peer = this.procs.get(this.actors.get(a.peer!)!.pid)!;
        const helper = view(this.newSock(AF.INET, SOCK_TYPE.DGRAM, IPPROTO.UDP, proc.netns), this.lowestFd(proc));
        const peerHelper = view(this.newSock(AF.INET, SOCK_TYPE.DGRAM, IPPROTO.UDP, peer.netns), this.lowestFd(proc) + 1);
        this.veths.push({ a: proc.pid, addr: a.addr!, b: peer.pid, peerAddr: a.peerAddr! });
        return {
          ...base,
          kind: 'veth',
          peer: a.peer!,
          peerPid: peer.pid,
          ifname: `hv${p.index}a`,
          peerIfname: `hv${p.index}b`,
          addr: a.addr!,
          peerAddr: a.peerAddr!,
          helper,
          peerHelper,
          peerNetns: peer.netns,
        };
      }
      case 'sleep':
        return { ...base, kind: 'sleep' };
      case 'capture-start': {
        const fdView = [...this.procs.values()]
          .filter((x) => x.pid !== this.runnerPid && this.fds.pids().includes(x.pid))
          .map((x) => ({ pid: x.pid, inos: this.fds.sockets(x.pid).map((c) => this.socks.get(c)!.ino) }));
        return { ...base, kind: 'capture-start', fdView };
      }
      default:
        throw new Error(`sim runner: step ${p.index}: unknown kind ${p.kind}`);
    }
  }

  private readonly veths: Array<{ a: number; addr: string; b: number; peerAddr: string }> = [];

  /** The source address towards `to`: this process's end of a veth pair, else (loopback) the address itself. */
  private ownAddress(proc: Proc, to: Endpoint): string {
    const v = this.veths.find((x) => (x.a === proc.pid && x.peerAddr === to.addr) || (x.b === proc.pid && x.addr === to.addr));
    if (!v) return to.addr;
    return v.a === proc.pid ? v.addr : v.peerAddr;
  }

  /** connect() to a listener: the server's end exists (and can receive) before anybody accepts it. */
  private handshake(c: Sock, l: Sock): void {
    const s = this.newSock(l.family, l.type, l.proto, l.netns);
    s.local = c.remote!;
    s.remote = c.local!;
    this.peers.set(s.cookie, c.cookie);
    this.peers.set(c.cookie, s.cookie);
    l.pending.push(s.cookie);
  }

  private newSock(family: number, type: number, proto: number, netns: number): Sock {
    const s: Sock = {
      cookie: (this.nextCookie++).toString(16).padStart(16, '0'),
      ino: (this.nextIno += this.rng.int(1, 8)),
      family,
      type,
      proto,
      netns,
      unix: family === AF.UNIX,
      listening: false,
      reuseport: false,
      pending: [],
      stream: [],
      written: 0,
      readPos: 0,
      dgrams: [],
    };
    this.socks.set(s.cookie, s);
    return s;
  }

  private open(proc: Proc, name: string, s: Sock, cloexec = false): number {
    const fd = this.lowestFd(proc);
    this.fds.open(proc.pid, name, s.cookie, cloexec, fd);
    this.handles.set(name, s.cookie);
    return fd;
  }

  private lowestFd(proc: Proc): number {
    const used = new Set(this.fds.handles(proc.pid).map(([, d]) => d.fd));
    let fd = 4;
    while (used.has(fd)) fd++;
    return fd;
  }

  private ephemeral(): number {
    for (;;) {
      const p = this.rng.int(32768, 60999);
      if (!this.usedPorts.has(p)) {
        this.usedPorts.add(p);
        return p;
      }
    }
  }

  /** Where a connect/sendto goes: a handle's address (any-address means loopback) or a literal one. */
  private target(a: Record<string, string>): { end: Endpoint; sock?: Sock } {
    if (a.to !== undefined) {
      const s = this.socks.get(this.handles.get(a.to) ?? '');
      if (!s) throw new Error(`sim runner: target ${a.to} is unknown`);
      if (!s.local || s.local.port === 0) s.local = { ...(s.local ?? anyAddr(s.family, 0)), port: this.ephemeral() };
      return { end: { addr: loopbackIfAny(s.local.addr), port: s.local.port }, sock: s };
    }
    return { end: { addr: a.addr!, port: Number(a.port ?? 0) } };
  }

  /** A datagram from `sock` to `to`: queued on every socket that will read it (a reuseport group: the member it was sent to). */
  private datagram(sock: Sock, to: Endpoint, tag: string, size: number, target?: Sock): void {
    const v6 = sock.family === AF.INET6;
    if (sock.type === SOCK_TYPE.RAW) {
      for (const s of this.socks.values()) {
        if (s.type === SOCK_TYPE.RAW && s.proto === sock.proto && s.netns === sock.netns)
          s.dgrams.push({ tag, bytes: (v6 ? 40 : 20) + size, from: formatEndpoint({ addr: to.addr, port: 0 }) });
      }
      return;
    }
    const ping = sock.proto === IPPROTO.ICMP || sock.proto === IPPROTO.ICMPV6;
    if (!sock.local || sock.local.port === 0) sock.local = { ...(sock.local ?? anyAddr(sock.family, 0)), port: this.ephemeral() };
    if (ping) {
      sock.dgrams.push({ tag, bytes: 8 + size, from: formatEndpoint({ addr: to.addr, port: 0 }) });
      return;
    }
    const dst =
      target && target.type === SOCK_TYPE.DGRAM
        ? target
        : [...this.socks.values()].find(
            (s) =>
              s.type === SOCK_TYPE.DGRAM &&
              !s.unix &&
              s.netns === sock.netns &&
              s.family === sock.family &&
              s.local?.port === to.port &&
              s !== sock,
          );
    dst?.dgrams.push({
      tag,
      bytes: size,
      from: formatEndpoint({ addr: loopbackIfAny(sock.local.addr) === sock.local.addr ? sock.local.addr : to.addr, port: sock.local.port }),
    });
  }
}

interface ParsedLine {
  index: number;
  actor: string;
  kind: string;
  args: Record<string, string>;
}

function parseLine(l: string): ParsedLine {
  const [, index, actor, kind, ...rest] = l.split(' ');
  const args: Record<string, string> = {};
  for (const kv of rest) {
    const eq = kv.indexOf('=');
    args[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { index: Number(index), actor: actor!, kind: kind!, args };
}

function anyAddr(family: number, port: number): Endpoint {
  return { addr: family === AF.INET6 ? '::' : '0.0.0.0', port };
}
