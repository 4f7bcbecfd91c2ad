// The runner without a guest: performs a scenario's compiled script on a
// model of the kernel's sockets and processes and writes the truth.json the
// C runner (harness/runner) would write, deterministic for a seed. Pids,
// tids, cookies, inodes, ports and times are drawn from the seed; what the
// runner records (tags read, addresses, exec argv) follows its README.
import { compileScenario } from '../scenario/compile.ts';
import { RUNNER_ACTOR, type Scenario } from '../scenario/types.ts';
import { AF, IPPROTO, SOCK_TYPE } from '../capture/constants.ts';
import type { Truth, TruthSocket, TruthStep } from '../check/types.ts';
import { makeRng, type Rng } from './rng.ts';
import { formatEndpoint, type Endpoint } from './wire.ts';

export const SIM_KERNEL = 'simulated';
export const RUNNER_EXE = '/usr/bin/hone-runner';
const INIT_NETNS = 4026531840;

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
  /** handle -> socket and descriptor; cloexec: FD_CLOEXEC (made with cloexec=true), an exec closes it. */
  fds: Map<string, { cookie: string; fd: number; cloexec?: boolean }>;
}

interface Actor {
  pid: number;
  tid: number;
}

/** Derive the truth of one run of `scenario` for `seed`. */
export function deriveTruth(scenario: Scenario, seed: number): Truth {
  return new RunnerModel(scenario, makeRng(seed).fork(`runner:${scenario.name}`)).run();
}

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
    const lines = compileScenario(this.scenario).split('\n').filter((l) => l.startsWith('step '));
    const runner: Proc = { pid: this.runnerPid, ppid: this.runnerPid - this.rng.int(1, 5), netns: INIT_NETNS, fds: new Map() };
    this.procs.set(runner.pid, runner);
    this.actors.set(RUNNER_ACTOR, { pid: runner.pid, tid: runner.pid });
    let captureStartStep = -1;
    const steps: TruthStep[] = [];
    const parsed = lines.map(parseLine);
    if (!parsed.some((p) => p.kind === 'capture-start')) this.nextPid += 2; // the two capture readers
    for (const p of parsed) {
      this.mono += this.rng.int(120_000, 2_400_000);
      if (p.kind === 'capture-start') {
        captureStartStep = p.index;
        this.nextPid += 2;
      }
      steps.push(this.step(p));
      if (p.kind === 'sleep') this.mono += Number(p.args.ms ?? 0) * 1_000_000;
    }
    return {
      version: 1, scenario: this.scenario.name, runId: this.runId, ok: true, runnerPid: this.runnerPid, runnerExe: RUNNER_EXE,
      kernel: SIM_KERNEL, capture: true, captureStartStep, realMinusMonoUs: this.realMinusMonoUs, stepCount: steps.length, steps,
    };
  }

  private step(p: ParsedLine): TruthStep {
    const actor = this.actors.get(p.actor);
    if (!actor) throw new Error(`sim runner: step ${p.index}: unknown actor ${p.actor}`);
    const proc = this.procs.get(actor.pid)!;
    const st: TruthStep = {
      step: p.index, actor: p.actor, kind: p.kind, pid: actor.pid, tid: actor.tid, ppid: proc.ppid,
      monoNs: this.mono, realUs: this.realMinusMonoUs + Math.floor(this.mono / 1000), netns: proc.netns,
    };
    const a = p.args;
    const handle = (name: string) => {
      const h = proc.fds.get(name);
      if (!h) throw new Error(`sim runner: step ${p.index}: ${p.actor} has no handle ${name}`);
      return { sock: this.socks.get(h.cookie)!, fd: h.fd };
    };
    const view = (s: Sock, fd: number): TruthSocket => {
      const v: TruthSocket = { cookie: s.cookie, fd, ino: s.ino, family: s.family, type: s.type, proto: s.proto };
      // the runner writes cloexec for a descriptor with FD_CLOEXEC (fcntl F_GETFD)
      if ([...proc.fds.values()].some((h) => h.fd === fd && h.cloexec)) v.cloexec = true;
      if (!s.unix) v.local = formatEndpoint(s.local ?? anyAddr(s.family, 0));
      if (s.remote) v.remote = formatEndpoint(s.remote);
      return v;
    };
    switch (p.kind) {
      case 'fork': {
        const pid = this.nextPid++;
        const child: Proc = { pid, ppid: proc.pid, netns: proc.netns, fds: new Map([...proc.fds].map(([k, v]) => [k, { ...v }])) };
        this.procs.set(pid, child);
        this.actors.set(a.child!, { pid, tid: pid });
        st.child = a.child!;
        st.childPid = pid;
        break;
      }
      case 'thread': {
        const tid = this.nextPid++;
        this.actors.set(a.thread!, { pid: actor.pid, tid });
        st.thread = a.thread!;
        st.threadTid = tid;
        break;
      }
      case 'exec': {
        st.exe = RUNNER_EXE;
        const dir = `/tmp/hone/${this.scenario.name}`;
        st.argv = [RUNNER_EXE, 'resume', `${dir}/script`, dir, p.actor, String(p.index)];
        // close-on-exec: the new image has no cloexec descriptors
        for (const [name, h] of [...proc.fds]) if (h.cloexec) proc.fds.delete(name);
        break;
      }
      case 'exit':
        st.code = Number(a.code ?? 0);
        proc.fds.clear();
        break;
      case 'socket': {
        const family = a.family === 'inet6' ? AF.INET6 : AF.INET;
        const type = a.type === 'stream' ? SOCK_TYPE.STREAM : a.type === 'dgram' ? SOCK_TYPE.DGRAM : SOCK_TYPE.RAW;
        const proto = a.proto !== undefined ? Number(a.proto) : type === SOCK_TYPE.STREAM ? IPPROTO.TCP : type === SOCK_TYPE.DGRAM ? IPPROTO.UDP : 0;
        const s = this.newSock(family, type, proto, proc.netns);
        if (type === SOCK_TYPE.RAW) s.local = anyAddr(family, proto);
        const fd = this.open(proc, a.sock!, s, a.cloexec === 'true');
        st.sock = a.sock!;
        if (a.cloexec === 'true') st.cloexec = true;
        st.socket = view(s, fd);
        break;
      }
      case 'socketpair': {
        const s1 = this.newSock(AF.UNIX, SOCK_TYPE.STREAM, 0, proc.netns);
        const s2 = this.newSock(AF.UNIX, SOCK_TYPE.STREAM, 0, proc.netns);
        st.sock = a.sock!;
        st.peer = a.peer!;
        st.socket = view(s1, this.open(proc, a.sock!, s1));
        st.peerSocket = view(s2, this.open(proc, a.peer!, s2));
        break;
      }
      case 'bind': {
        const { sock, fd } = handle(a.sock!);
        const port = Number(a.port ?? 0) || this.ephemeral();
        this.usedPorts.add(port);
        sock.local = { addr: a.addr!, port };
        st.sock = a.sock!;
        st.socket = view(sock, fd);
        break;
      }
      case 'listen': {
        const { sock, fd } = handle(a.sock!);
        sock.listening = true;
        st.sock = a.sock!;
        st.socket = view(sock, fd);
        break;
      }
      case 'connect': {
        const { sock, fd } = handle(a.sock!);
        const target = this.target(a);
        sock.remote = target.end;
        sock.local = { addr: target.end.addr, port: sock.local?.port || this.ephemeral() };
        if (sock.type === SOCK_TYPE.STREAM && target.sock) target.sock.pending.push(sock.cookie);
        st.sock = a.sock!;
        st.socket = view(sock, fd);
        break;
      }
      case 'accept': {
        const { sock: l, fd: lfd } = handle(a.sock!);
        const clientCookie = l.pending.shift();
        if (!clientCookie) throw new Error(`sim runner: step ${p.index}: nothing to accept on ${a.sock}`);
        const c = this.socks.get(clientCookie)!;
        const s = this.newSock(l.family, l.type, l.proto, proc.netns);
        s.local = c.remote!;
        s.remote = c.local!;
        this.peers.set(s.cookie, c.cookie);
        this.peers.set(c.cookie, s.cookie);
        const fd = this.open(proc, a.as!, s, a.cloexec === 'true');
        st.sock = a.sock!;
        st.as = a.as!;
        if (a.cloexec === 'true') st.cloexec = true;
        st.listener = view(l, lfd);
        st.socket = view(s, fd);
        break;
      }
      case 'send':
      case 'sendto': {
        const { sock, fd } = handle(a.sock!);
        const size = Number(a.size ?? 64);
        const tag = `<HT:${this.runId}:${String(p.index).padStart(6, '0')}>`;
        st.sock = a.sock!;
        st.bytes = size;
        st.tag = tag;
        if (a.more === 'true') st.more = true;
        if (a.via !== undefined) st.via = a.via; // sendfile: the same bytes as a plain send
        if (sock.type === SOCK_TYPE.STREAM) {
          const peer = this.socks.get(this.peers.get(sock.cookie) ?? '');
          if (peer) {
            peer.stream.push({ tag, start: peer.written });
            peer.written += size;
          }
        } else {
          const target = p.kind === 'sendto' ? this.target(a) : { end: sock.remote!, sock: undefined };
          if (p.kind === 'sendto') st.to = formatEndpoint(target.end);
          this.datagram(sock, target.end, tag, size);
        }
        st.socket = view(sock, fd);
        break;
      }
      case 'recv':
      case 'recvfrom': {
        const { sock, fd } = handle(a.sock!);
        const size = Number(a.size ?? 64);
        st.sock = a.sock!;
        if (a.via !== undefined) st.via = a.via; // splice: the same bytes as a plain recv
        if (sock.type === SOCK_TYPE.STREAM) {
          const from = sock.readPos;
          sock.readPos += size;
          st.bytes = size;
          st.tags = sock.stream.filter((x) => x.start >= from && x.start + 20 <= sock.readPos).map((x) => x.tag);
        } else {
          const d = sock.dgrams.shift();
          st.bytes = d?.bytes ?? 0;
          st.tags = d ? [d.tag] : [];
          if (p.kind === 'recvfrom' && d) st.from = d.from;
        }
        st.socket = view(sock, fd);
        break;
      }
      case 'shutdown': {
        const { sock, fd } = handle(a.sock!);
        st.sock = a.sock!;
        st.socket = view(sock, fd);
        break;
      }
      case 'close': {
        const { sock, fd } = handle(a.sock!);
        st.sock = a.sock!;
        st.socket = view(sock, fd);
        proc.fds.delete(a.sock!);
        break;
      }
      case 'dup': {
        const { sock } = handle(a.sock!);
        const fd = this.open(proc, a.as!, sock);
        st.sock = a.sock!;
        st.as = a.as!;
        st.socket = view(sock, fd);
        break;
      }
      case 'sendfd': {
        const { sock, fd } = handle(a.sock!);
        st.via = a.via!;
        st.sock = a.sock!;
        st.socket = view(sock, fd);
        this.inflight.push(sock.cookie);
        break;
      }
      case 'recvfd': {
        const cookie = this.inflight.shift();
        if (!cookie) throw new Error(`sim runner: step ${p.index}: no descriptor in flight`);
        const s = this.socks.get(cookie)!;
        st.via = a.via!;
        st.as = a.as!;
        st.socket = view(s, this.open(proc, a.as!, s));
        break;
      }
      case 'netns': {
        st.netnsBefore = proc.netns;
        const after = 4026532000 + this.rng.int(100, 400);
        const helper = this.newSock(AF.INET, SOCK_TYPE.DGRAM, IPPROTO.UDP, after);
        st.helper = view(helper, lowestFd(proc));
        proc.netns = after;
        st.netnsAfter = after;
        break;
      }
      case 'sleep':
      case 'capture-start':
        break;
      default:
        throw new Error(`sim runner: step ${p.index}: unknown kind ${p.kind}`);
    }
    return st;
  }

  private newSock(family: number, type: number, proto: number, netns: number): Sock {
    const s: Sock = {
      cookie: (this.nextCookie++).toString(16).padStart(16, '0'), ino: (this.nextIno += this.rng.int(1, 8)), family, type, proto, netns,
      unix: family === AF.UNIX, listening: false, pending: [], stream: [], written: 0, readPos: 0, dgrams: [],
    };
    this.socks.set(s.cookie, s);
    return s;
  }

  private open(proc: Proc, name: string, s: Sock, cloexec = false): number {
    const fd = lowestFd(proc);
    proc.fds.set(name, cloexec ? { cookie: s.cookie, fd, cloexec } : { cookie: s.cookie, fd });
    this.handles.set(name, s.cookie);
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

  /** A datagram from `sock` to `to`: queued on every socket that will read it. */
  private datagram(sock: Sock, to: Endpoint, tag: string, size: number): void {
    const v6 = sock.family === AF.INET6;
    if (sock.type === SOCK_TYPE.RAW) {
      for (const s of this.socks.values()) {
        if (s.type === SOCK_TYPE.RAW && s.proto === sock.proto && s.netns === sock.netns) s.dgrams.push({ tag, bytes: (v6 ? 40 : 20) + size, from: formatEndpoint({ addr: to.addr, port: 0 }) });
      }
      return;
    }
    const ping = sock.proto === IPPROTO.ICMP || sock.proto === IPPROTO.ICMPV6;
    if (!sock.local || sock.local.port === 0) sock.local = { ...(sock.local ?? anyAddr(sock.family, 0)), port: this.ephemeral() };
    if (ping) {
      sock.dgrams.push({ tag, bytes: 8 + size, from: formatEndpoint({ addr: to.addr, port: 0 }) });
      return;
    }
    const dst = [...this.socks.values()].find((s) => s.type === SOCK_TYPE.DGRAM && !s.unix && s.netns === sock.netns && s.family === sock.family && s.local?.port === to.port && s !== sock);
    dst?.dgrams.push({ tag, bytes: size, from: formatEndpoint({ addr: loopbackIfAny(sock.local.addr) === sock.local.addr ? sock.local.addr : to.addr, port: sock.local.port }) });
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

function lowestFd(proc: Proc): number {
  const used = new Set([...proc.fds.values()].map((x) => x.fd));
  let fd = 4;
  while (used.has(fd)) fd++;
  return fd;
}

function anyAddr(family: number, port: number): Endpoint {
  return { addr: family === AF.INET6 ? '::' : '0.0.0.0', port };
}

export function loopbackIfAny(addr: string): string {
  return addr === '0.0.0.0' ? '127.0.0.1' : addr === '::' ? '::1' : addr;
}

