// Parser for /dev/honet text (kmod/FORMAT.md "Text"): one event per line,
// 15.07 fixed fields first, then key=value tokens, then exe path and argv.
// Unknown event words and unknown keys are kept, never fatal; a known line
// whose fixed fields are malformed throws CaptureError naming the line.
import { CaptureError } from './errors.ts';
import type { HonetEvent, HonetPacket, HonetProcess, HonetSocket, HonetUse } from './types.ts';

export function parseHonet(text: string): HonetEvent[] {
  const out: HonetEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    out.push(parseLine(raw, i + 1));
  }
  return out;
}

// --- internal ---

const PROCESS_EVENTS: Record<string, HonetProcess['event']> = { FORK: 'fork', EXEC: 'exec', EXIT: 'exit', KTHD: 'kthread' };

function parseLine(line: string, n: number): HonetEvent {
  const tok = line.split(' ');
  const word = tok[1] ?? '';
  const fail = (why: string): never => {
    throw new CaptureError(`honet line ${n}: ${why}: ${JSON.stringify(line.slice(0, 200))}`, n);
  };
  const timeNs = parseTime(tok[0] ?? '', fail);
  const base = { line: n, timeNs };
  if (word === 'HEAD') {
    const bootTime = tok[2] ?? fail('HEAD line without boot time');
    const guid = tok[3]?.replace(/^\{|\}$/g, '');
    return guid ? { ...base, kind: 'head', bootTime, guid, extra: {} } : { ...base, kind: 'head', bootTime, extra: {} };
  }
  if (word === 'TAIL') return { ...base, kind: 'tail', extra: {} };
  const pev = PROCESS_EVENTS[word];
  if (pev !== undefined) return parseProcess(line, tok, pev, base, fail);
  if (word === 'SOCK') return parseSocket(tok, base, fail);
  if (word === 'PAKT') return parsePacket(tok, base, fail);
  const use = USE_WORDS[word];
  if (use !== undefined) return parseUse(tok, use, base, fail);
  return { ...base, kind: 'unknown', text: line, extra: {} };
}

const USE_WORDS: Record<string, HonetUse['what']> = { READ: 'read', GAIN: 'gain', LOSE: 'lose' };

type Fail = (why: string) => never;
type Base = { line: number; timeNs: bigint };

function parseProcess(line: string, tok: string[], event: HonetProcess['event'], base: Base, fail: Fail): HonetProcess {
  if (tok.length < 6) fail('process line needs TS EVT PID PPID UID GID');
  const p: HonetProcess = {
    ...base,
    kind: 'process',
    event,
    pid: int(tok[2], 'PID', fail),
    ppid: int(tok[3], 'PPID', fail),
    uid: int(tok[4], 'UID', fail),
    gid: int(tok[5], 'GID', fail),
    extra: {},
  };
  // key=value tokens until the quoted path (or [comm] of a kernel thread).
  let consumed = tok.slice(0, 6).join(' ').length;
  for (let i = 6; i < tok.length; i++) {
    const t = tok[i]!;
    if (t.startsWith('"') || t.startsWith('[')) break;
    kv(t, p.extra);
    consumed += 1 + t.length;
  }
  const tail = line.slice(consumed + 1);
  if (tail.startsWith('"')) {
    const close = tail.indexOf('" ', 1) >= 0 ? tail.indexOf('" ', 1) : tail.lastIndexOf('"');
    if (close <= 0) fail('exe path has no closing quote');
    p.exe = tail.slice(1, close);
    const rest = tail
      .slice(close + 1)
      .replace(/^ /, '')
      .replace(/ +$/, '');
    p.argv = rest === '' ? [] : rest.split(' ');
  } else if (tail.startsWith('[')) {
    p.exe = tail.trim();
  }
  if (p.extra.tid !== undefined) p.tid = int(p.extra.tid, 'tid', fail);
  if (p.extra.status !== undefined) p.exitStatus = int(p.extra.status, 'status', fail);
  return p;
}

function parseSocket(tok: string[], base: Base, fail: Fail): HonetSocket {
  if (tok.length < 8) fail('socket line needs TS SOCK O|C PID PPID UID GID SOCKID');
  const oc = tok[2];
  if (oc !== 'O' && oc !== 'C') fail(`socket event is ${JSON.stringify(oc)}, expected O or C`);
  const s: HonetSocket = {
    ...base,
    kind: 'socket',
    event: oc === 'O' ? 'open' : 'close',
    pid: int(tok[3], 'PID', fail),
    ppid: int(tok[4], 'PPID', fail),
    uid: int(tok[5], 'UID', fail),
    gid: int(tok[6], 'GID', fail),
    socketId: sockId(tok[7], fail),
    snapshot: false,
    accepted: false,
    extra: {},
  };
  for (const t of tok.slice(8)) {
    if (t === 'snapshot') s.snapshot = true;
    else if (t === 'accept') s.accepted = true;
    else kv(t, s.extra);
  }
  const e = s.extra;
  if (e.tid !== undefined) s.tid = int(e.tid, 'tid', fail);
  if (e.ino !== undefined) s.inode = int(e.ino, 'ino', fail);
  if (e.fam !== undefined) s.family = int(e.fam, 'fam', fail);
  if (e.type !== undefined) s.type = int(e.type, 'type', fail);
  if (e.proto !== undefined) s.protocol = int(e.proto, 'proto', fail);
  if (e.netns !== undefined) s.netns = int(e.netns, 'netns', fail);
  return s;
}

function parsePacket(tok: string[], base: Base, fail: Fail): HonetPacket {
  // TS PAKT I|O SOCKID PID PROTO SRC -> DST LEN [k=v ...]
  if (tok.length < 10 || tok[7] !== '->') fail('packet line needs TS PAKT I|O SOCKID PID PROTO SRC -> DST LEN');
  const d = tok[2];
  if (d !== 'I' && d !== 'O') fail(`packet direction is ${JSON.stringify(d)}, expected I or O`);
  const id = sockId(tok[3], fail);
  const p: HonetPacket = {
    ...base,
    kind: 'packet',
    direction: d === 'I' ? 'in' : 'out',
    pid: int(tok[4], 'PID', fail),
    protocol: tok[5]!,
    src: tok[6]!,
    dst: tok[8]!,
    length: int(tok[9], 'LEN', fail),
    extra: {},
  };
  if (!/^0+$/.test(id)) p.socketId = id;
  for (const t of tok.slice(10)) kv(t, p.extra);
  const e = p.extra;
  if (e.tid !== undefined) p.tid = int(e.tid, 'tid', fail);
  if (e.by !== undefined) p.attribution = e.by;
  if (e.netns !== undefined) p.netns = int(e.netns, 'netns', fail);
  if (e.id !== undefined) p.packetId = big(e.id, 'id', fail);
  if (e.start !== undefined) p.startNs = big(e.start, 'start', fail);
  if (e.senders !== undefined) {
    p.senders = list(e.senders).map((run) => {
      const f = run.split(':');
      if (f.length !== 3) fail(`senders entry ${JSON.stringify(run)} is not OFF:PID:TID`);
      return { offset: int(f[0], 'senders offset', fail), pid: int(f[1], 'senders pid', fail), tid: int(f[2], 'senders tid', fail) };
    });
  }
  if (e.holders !== undefined) p.holders = list(e.holders).map((h) => int(h, 'holders pid', fail));
  return p;
}

function parseUse(tok: string[], what: HonetUse['what'], base: Base, fail: Fail): HonetUse {
  // TS READ|GAIN|LOSE SOCKID PID [k=v ...]
  if (tok.length < 4) fail(`${what} line needs TS ${what.toUpperCase()} SOCKID PID`);
  const u: HonetUse = { ...base, kind: 'use', what, socketId: sockId(tok[2], fail), pid: int(tok[3], 'PID', fail), extra: {} };
  for (const t of tok.slice(4)) kv(t, u.extra);
  const e = u.extra;
  if (e.tid !== undefined) u.tid = int(e.tid, 'tid', fail);
  if (e.start !== undefined) u.startNs = big(e.start, 'start', fail);
  if (e.via !== undefined) u.via = e.via;
  if (e.len !== undefined) u.bytes = int(e.len, 'len', fail);
  if (e.seq !== undefined) {
    const m = /^(\d+)-(\d+)$/.exec(e.seq);
    if (!m) return fail(`seq is ${JSON.stringify(e.seq)}, expected FIRST-END`);
    u.seq = { first: u32(m[1]!, 'seq first', fail), end: u32(m[2]!, 'seq end', fail) };
  }
  if (e.pkt !== undefined && e.pkt !== '?') u.readPacketId = big(e.pkt, 'pkt', fail);
  return u;
}

function parseTime(t: string, fail: Fail): bigint {
  const m = /^(\d+)\.(\d{1,9})$/.exec(t);
  if (!m) return fail('timestamp is not SEC.NSEC');
  return BigInt(m[1]!) * 1_000_000_000n + BigInt(m[2]!.padEnd(9, '0'));
}

function int(t: string | undefined, what: string, fail: Fail): number {
  if (t === undefined || !/^-?\d+$/.test(t)) return fail(`${what} is ${JSON.stringify(t)}, not a number`);
  return Number(t);
}

function big(t: string, what: string, fail: Fail): bigint {
  if (!/^\d+$/.test(t)) return fail(`${what} is ${JSON.stringify(t)}, not an unsigned number`);
  return BigInt(t);
}

function u32(t: string, what: string, fail: Fail): number {
  const n = Number(t);
  if (n > 0xffffffff) return fail(`${what} ${t} does not fit 32 bits`);
  return n;
}

function list(t: string): string[] {
  return t === '' ? [] : t.split(',');
}

function sockId(t: string | undefined, fail: Fail): string {
  if (t === undefined || !/^[0-9a-f]{8,16}$/.test(t)) return fail(`socket id is ${JSON.stringify(t)}, expected 8 or 16 hex digits`);
  return t.padStart(16, '0');
}

function kv(t: string, into: Record<string, string>): void {
  const eq = t.indexOf('=');
  if (eq > 0) into[t.slice(0, eq)] = t.slice(eq + 1);
  else if (t !== '') into[t] = '';
}
