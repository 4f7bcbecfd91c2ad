// The simulator itself: deterministic for a seed, writes kmod/FORMAT.md
// (options in order, honet text agreeing with the PCAP-NG), each fault does
// what it says, and the `hone sim` command.
import t from 'tap';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodePacket,
  ISB_OPT,
  parseHonet,
  readPcapng,
  WhoRead,
  type Block,
  type HonetUse,
  type PacketBlock,
  type UseBlock,
} from '../../capture/index.ts';
import { parseTruth, stepsOf } from '../../check/index.ts';
import { simCommand } from '../../cli/sim.ts';
import { loadScenarios, validateScenario } from '../../scenario/index.ts';
import { FAULTS } from '../../sim/faults/index.ts';
import { judge } from '../../sim/mutation.ts';
import { simulate } from '../../sim/simulate.ts';
import { HoneError } from '../../util/errors.ts';

const here = dirname(fileURLToPath(import.meta.url));
const scenarios = new Map((await loadScenarios()).map((s) => [s.name, s]));
const sc = (n: string) => scenarios.get(n)!;

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  const ewrite = process.stderr.write.bind(process.stderr);
  let out = '';
  process.stdout.write = ((c: string | Uint8Array) => ((out += String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((out += String(c)), true)) as typeof process.stderr.write;
  try {
    return { code: await simCommand(argv), out };
  } finally {
    process.stdout.write = write;
    process.stderr.write = ewrite;
  }
}

t.test('deterministic for a seed, different for another', async (t) => {
  for (const name of ['tcp-loopback-v4', 'scm-rights-passed', 'icmp-ping-v6']) {
    const a = simulate({ scenario: sc(name), seed: 3 });
    const b = simulate({ scenario: sc(name), seed: 3 });
    const c = simulate({ scenario: sc(name), seed: 4 });
    t.ok(a.pcapng.equals(b.pcapng), `${name}: same bytes`);
    t.equal(a.honet, b.honet, `${name}: same text`);
    t.notOk(a.pcapng.equals(c.pcapng), `${name}: another seed, other ids and times`);
    for (const f of FAULTS) {
      if (f.notApplicable({ truth: a.truth, perfect: a.capture })) continue;
      t.ok(
        simulate({ scenario: sc(name), seed: 3, fault: f.name }).pcapng.equals(
          simulate({ scenario: sc(name), seed: 3, fault: f.name }).pcapng,
        ),
        `${name} × ${f.name}: same bytes`,
      );
    }
  }
});

t.test('a derived truth is a valid truth.json', async (t) => {
  const r = simulate({ scenario: sc('two-threads-one-socket'), seed: 9 });
  const again = parseTruth(JSON.stringify(r.truth));
  t.equal(again.scenario, 'two-threads-one-socket');
  t.equal(again.steps.length, again.stepCount);
  t.ok(
    stepsOf(again, 'thread').every((s) => s.threadTid !== s.pid),
    'threads have their own tids',
  );
  const recvs = stepsOf(again, 'recv');
  t.ok(
    recvs.every((s) => (s.tags ?? []).length === 1),
    'every recv read one tag',
  );
});

t.test('PCAP-NG options in kmod/FORMAT.md order; honet text says the same as the PCAP-NG', async (t) => {
  const inOrder = (codes: number[], order: number[]) => codes.every((c, i) => i === 0 || order.indexOf(codes[i - 1]!) < order.indexOf(c));
  for (const name of ['exec-inherited-socket', 'socket-before-reader', 'icmp-ping-v4']) {
    const r = simulate({ scenario: sc(name), seed: 2 });
    const blocks = readPcapng(r.pcapng).blocks;
    const honet = parseHonet(r.honet);
    for (const b of blocks) {
      const codes = 'options' in b ? b.options.map((o) => o.code) : [];
      if (b.kind === 'process') t.ok(inOrder(codes, [2, 5, 6, 7, 257, 258, 259, 260, 261, 3, 4]), `${name}: process options ${codes}`);
      if (b.kind === 'packet') t.ok(inOrder(codes, [257, 258, 2, 8, 259, 260, 261, 262, 263, 264, 1]), `${name}: EPB options ${codes}`);
      if (b.kind === 'connection') t.ok(inOrder(codes, [2, 257, 258, 259, 260, 261, 262]), `${name}: connection options ${codes}`);
      if (b.kind === 'use') t.ok(inOrder(codes, [2, 257, 258, 259, 260, 261, 262, 263]), `${name}: read/gain/lose options ${codes}`);
    }
    const packets = blocks.filter((b): b is PacketBlock => b.kind === 'packet');
    const lines = honet.filter((h) => h.kind === 'packet');
    t.equal(lines.length, packets.length, `${name}: one PAKT line per EPB`);
    lines.forEach((l, i) => {
      const p = packets[i]!;
      if (l.kind !== 'packet') return;
      t.same(
        [l.direction, l.socketId, l.pid, l.attribution, l.length, l.packetId, l.startNs, l.senders, l.holders],
        [p.direction, p.socketId, p.pid ?? 0, p.attribution, p.packetLength, p.packetId, p.startNs, p.senders, p.holders],
        `${name}: line ${l.line}`,
      );
    });
    const uses = blocks.filter((b): b is UseBlock => b.kind === 'use');
    const useLines = honet.filter((h): h is HonetUse => h.kind === 'use');
    t.ok(uses.length > 0, `${name}: read, gain or lose blocks`);
    t.equal(useLines.length, uses.length, `${name}: one READ/GAIN/LOSE line per block`);
    useLines.forEach((l, i) => {
      const u = uses[i]!;
      t.same(
        [l.what, l.socketId, l.pid, l.tid, l.startNs, l.via, l.bytes, l.seq, l.readPacketId],
        [u.what, u.socketId, u.pid, u.tid, u.startNs, u.via, u.bytes, u.seq, u.readPacketId],
        `${name}: line ${l.line}`,
      );
    });
    t.equal(honet.filter((h) => h.kind === 'process').length, blocks.filter((b) => b.kind === 'process').length, `${name}: process lines`);
    t.equal(honet.filter((h) => h.kind === 'socket').length, blocks.filter((b) => b.kind === 'connection').length, `${name}: socket lines`);
    t.equal(honet[0]?.kind, 'head');
    t.equal(honet.at(-1)?.kind, 'tail');
    t.equal(blocks.at(-1)?.kind, 'stats', 'the ISB ends the section');
  }
});

/** Blocks of a simulation and who's who in its truth. */
function sim(name: string, seed = 1) {
  const r = simulate({ scenario: sc(name), seed });
  const blocks = readPcapng(r.pcapng).blocks;
  const pidOf = (actor: string) => stepsOf(r.truth, 'fork').find((x) => x.child === actor)!.childPid!;
  const cookieOf = (actor: string, handle: string) => {
    const st = r.truth.steps.find(
      (x) => x.actor === actor && (('sock' in x && x.sock === handle) || ('as' in x && x.as === handle)) && 'socket' in x,
    )!;
    return 'socket' in st ? st.socket.cookie : '';
  };
  const tagged = (tag: string | undefined, dir: 'in' | 'out') =>
    blocks.flatMap((b, i) =>
      b.kind === 'packet' && b.direction === dir && tag && decodePacket(b.data)?.payload.toString('latin1').includes(tag) ? [{ b, i }] : [],
    );
  return { ...r, blocks, pidOf, cookieOf, tagged };
}

t.test(
  'the new format: every read block the truth implies names exactly the bytes and datagrams read (all scenarios, two seeds)',
  async (t) => {
    for (const name of scenarios.keys()) {
      if (name === 'thousand-connections') continue;
      for (const seed of [1, 4]) {
        const r = sim(name, seed);
        const who = new WhoRead(r.blocks);
        const startOf = new Map(
          r.blocks.flatMap((b) => (b.kind === 'process' && b.startNs !== undefined ? [[b.pid, b.startNs] as const] : [])),
        );
        for (const st of r.truth.steps) {
          if (st.kind !== 'recv' && st.kind !== 'recvfrom') continue;
          for (const tag of st.tags ?? []) {
            const copies = r.tagged(tag, 'in').filter(({ b }) => b.kind === 'packet' && b.socketId === st.socket?.cookie);
            t.ok(copies.length > 0, `${name}/${seed}: ${tag} arrives on the reading socket`);
            for (const { b, i } of copies) {
              const p = b as PacketBlock;
              t.same([p.attribution, p.pid, p.tid], ['reader', undefined, undefined], `${name}/${seed}: incoming data names no process`);
              const at = decodePacket(p.data)!.payload.toString('latin1').indexOf(tag);
              const readers = who.readersOf(i, at).map((x) => [x.block.pid, x.block.tid]);
              t.same(readers, [[st.pid, st.tid]], `${name}/${seed}: the read block covering ${tag} names step ${st.step}'s thread`);
            }
          }
        }
        for (const b of r.blocks) {
          if (b.kind === 'packet' && b.attribution === 'sender')
            t.equal(b.startNs, startOf.get(b.pid!), `${name}/${seed}: a sender's start time is its process's`);
          if (b.kind === 'use') t.equal(b.startNs, startOf.get(b.pid), `${name}/${seed}: a ${b.what} block's start time is its process's`);
          if (b.kind === 'packet' && b.attribution === 'holder')
            t.equal(b.pid, undefined, `${name}/${seed}: holder packets name no process`);
        }
        const ids = r.blocks.flatMap((b) => (b.kind === 'packet' ? [b.packetId!] : []));
        t.ok(
          ids.every((id, k) => k === 0 || id > ids[k - 1]!),
          `${name}/${seed}: packet ids increase`,
        );
      }
    }
  },
);

t.test('the new format: MSG_MORE bytes leave with the next write, one segment, two sender runs', async (t) => {
  const r = sim('cork-released-by-later-write');
  const [held, release] = stepsOf(r.truth, 'send');
  const outs = r.tagged(held!.tag, 'out');
  t.equal(outs.length, 1, 'one outgoing segment holds the held bytes');
  const seg = outs[0]!.b as PacketBlock;
  t.ok(decodePacket(seg.data)!.payload.toString('latin1').includes(release!.tag!), "and the releasing write's");
  t.same([seg.pid, seg.tid, seg.attribution], [held!.pid, held!.tid, 'sender'], "labelled by the first byte's writer (the parent)");
  t.same(
    seg.senders,
    [
      { offset: 0, pid: held!.pid, tid: held!.tid },
      { offset: held!.bytes, pid: release!.pid, tid: release!.tid },
    ],
    "runs: the parent's 40 bytes, then the child's",
  );
  t.notOk(
    r.blocks.some(
      (b, i) => i < outs[0]!.i && b.kind === 'packet' && b.direction === 'out' && (b.packetLength ?? 0) > 60 && b.socketId === seg.socketId,
    ),
    'nothing left before the release',
  );
  const single = readPcapng(simulate({ scenario: sc('cork-released-by-later-write'), seed: 1, fault: 'single-sender' }).pcapng).blocks.find(
    (b) => b.kind === 'packet' && b.packetId === seg.packetId,
  ) as PacketBlock;
  t.same([single.pid, single.senders], [release!.pid, undefined], 'single-sender: the releasing child for all of it, no runs');
});

t.test('the new format: holders, gains and loses', async (t) => {
  const w = sim('reply-read-by-forked-worker');
  const c = w.cookieOf('client', 'c');
  const [client, worker] = [w.pidOf('client'), w.pidOf('worker')];
  const uses = (b: Block[], cookie: string) =>
    b
      .filter((x): x is UseBlock => x.kind === 'use' && x.socketId === cookie && x.what !== 'read')
      .map((x) => `${x.what} ${x.pid} ${x.via}`);
  t.same(
    uses(w.blocks, c),
    [`gain ${worker} fork`, `lose ${client} close`, `lose ${worker} close`],
    'the worker gains c at fork; each loses it at its close',
  );
  const after = w.blocks.filter((b): b is PacketBlock => b.kind === 'packet' && b.socketId === c && b.attribution === 'holder');
  t.ok(
    after.some((b) => b.holders?.length === 2 && b.holders.includes(client) && b.holders.includes(worker)),
    'ACKs while both hold c list both',
  );
  t.ok(
    after.every((b) => b.pid === undefined),
    'and no pid',
  );

  const a = sim('accepted-socket-to-child');
  const conn = a.cookieOf('server', 'conn');
  const [server, handler] = [a.pidOf('server'), a.pidOf('handler')];
  t.same(uses(a.blocks, conn), [`gain ${handler} fork`, `lose ${server} close`, `lose ${handler} close`]);
  const acks = a.blocks.filter((b): b is PacketBlock => b.kind === 'packet' && b.socketId === conn && b.attribution === 'holder');
  t.ok(
    acks.some((b) => JSON.stringify(b.holders) === JSON.stringify([handler])),
    'after the acceptor closed its descriptor, the handler is the only holder',
  );

  const u = sim('udp-shared-two-receivers');
  const reads = u.blocks.filter((b): b is UseBlock => b.kind === 'use' && b.what === 'read');
  const [d1, d2] = stepsOf(u.truth, 'sendto');
  const idIn = (tag: string | undefined) => (u.tagged(tag, 'in')[0]!.b as PacketBlock).packetId;
  t.same(
    reads.map((x) => [x.pid, x.readPacketId, x.seq]),
    [
      [u.pidOf('receiver'), idIn(d1!.tag), undefined],
      [u.pidOf('child'), idIn(d2!.tag), undefined],
    ],
    'datagram reads name the packet id, by the parent then the child',
  );
});

t.test('the new format: closing with unread data resets the connection (kernel-sent-ack-rst)', async (t) => {
  const r = sim('kernel-sent-ack-rst');
  const [c, conn] = [r.cookieOf('client', 'c'), r.cookieOf('server', 'conn')];
  const flags = (b: PacketBlock) => decodePacket(b.data)?.tcpFlags ?? '';
  const on = (cookie: string) => r.blocks.filter((b): b is PacketBlock => b.kind === 'packet' && b.socketId === cookie);
  const rstOut = on(c).filter((b) => b.direction === 'out' && flags(b).includes('R'));
  const rstIn = on(conn).filter((b) => b.direction === 'in' && flags(b).includes('R'));
  t.equal(rstOut.length, 1, "one RST leaves the client's socket");
  t.same(
    [rstOut[0]?.attribution, rstOut[0]?.pid, rstOut[0]?.holders],
    ['holder', undefined, undefined],
    'labelled holder, no pid, no holders (the client had closed it)',
  );
  t.same([rstIn[0]?.attribution, rstIn[0]?.holders], ['holder', [r.pidOf('server')]], "arrives on the server's socket, listing its holder");
  t.notOk(
    [...on(c), ...on(conn)].some((b) => flags(b).includes('F')),
    'no FIN either way',
  );
  const unread = stepsOf(r.truth, 'send').filter((x) => x.actor === 'server')[0]!;
  const i = r.tagged(unread.tag, 'in')[0]!.i;
  t.same(new WhoRead(r.blocks).readersOf(i), [], 'the data the client never read has no read block');
  const close = r.blocks.findIndex((b) => b.kind === 'connection' && b.event === 'close' && b.socketId === c);
  t.ok(close > r.blocks.indexOf(rstOut[0]!), "the client's close block follows its RST");
});

t.test('faults do what they say', async (t) => {
  const s = sc('tcp-loopback-v4');
  const perfect = simulate({ scenario: s, seed: 1 });
  const isb = (buf: Buffer) => readPcapng(buf).blocks.find((b) => b.kind === 'stats')!;
  const counted = simulate({ scenario: s, seed: 1, fault: 'drop-packets' });
  const silent = simulate({ scenario: s, seed: 1, fault: 'drop-packets-uncounted' });
  const n = (buf: Buffer) => readPcapng(buf).blocks.filter((b) => b.kind === 'packet').length;
  t.ok(n(counted.pcapng) < n(perfect.pcapng) && n(silent.pcapng) < n(perfect.pcapng), 'packets are lost');
  const c = isb(counted.pcapng);
  const u = isb(silent.pcapng);
  if (c.kind === 'stats' && u.kind === 'stats') {
    t.equal(Number(c.counters[ISB_OPT.PACKETS_RING_DROPPED]), n(perfect.pcapng) - n(counted.pcapng), 'counted in ISB option 7');
    t.equal(Number(u.counters[ISB_OPT.PACKETS_RING_DROPPED]), 0, 'not counted');
  }
  t.match(judge(s, counted.truth, counted.pcapng).notes.join('\n'), /ring was full/, 'the checker notes the counted drops');
  const unknown = simulate({ scenario: s, seed: 1, fault: 'unknown-blocks' });
  t.ok(readPcapng(unknown.pcapng).blocks.filter((b) => b.kind === 'unknown').length >= 1, 'unknown blocks are really in the file');
  const swapped = readPcapng(simulate({ scenario: s, seed: 1, fault: 'swap-parent-child' }).pcapng).blocks.filter(
    (b) => b.kind === 'process' && b.event === 'fork' && b.pid === perfect.truth.runnerPid,
  );
  t.ok(swapped.length >= 2, 'fork blocks name the parent (the runner) as the new process');
  const creator = readPcapng(simulate({ scenario: sc('fork-child-sends'), seed: 1, fault: 'creator-only' }).pcapng).blocks;
  t.ok(
    creator.filter((b) => b.kind === 'packet' && b.pid !== undefined).every((b) => b.kind === 'packet' && b.attribution === 'creator'),
    'creator-only: every packet with a process says creator',
  );
  const fc = (fault?: string) =>
    readPcapng(simulate({ scenario: sc('fork-child-sends'), seed: 1, ...(fault ? { fault } : {}) }).pcapng).blocks;
  const kinds = (b: Block[]) => new Set(b.filter((x): x is UseBlock => x.kind === 'use').map((x) => x.what));
  t.same([...kinds(fc())].sort(), ['gain', 'lose', 'read'], 'the perfect capture has read, gain and lose blocks');
  t.same([...kinds(creator)], [], 'creator-only: none (15.07 had none)');
  t.same([...kinds(fc('no-read-blocks'))].sort(), ['gain', 'lose'], 'no-read-blocks: no read blocks');
  t.same([...kinds(fc('no-holder-events'))], ['read'], 'no-holder-events: no gain or lose blocks');
  const current = fc('reader-is-current');
  t.ok(
    current
      .filter((b) => b.kind === 'packet' && b.direction === 'in' && b.attribution === 'reader')
      .every((b) => b.kind === 'packet' && b.pid !== undefined),
    'reader-is-current: incoming data carries a pid',
  );
  t.notOk(kinds(current).has('read'), 'and there are no read blocks');
  const ctl = fc('control-as-sender').filter(
    (b): b is PacketBlock => b.kind === 'packet' && decodePacket(b.data)?.payload.length === 0 && b.socketId !== undefined,
  );
  t.ok(
    ctl.length > 5 && ctl.every((b) => b.attribution === 'sender' && b.pid !== undefined && b.holders === undefined),
    'control-as-sender: packets without data name a sender',
  );
  const any = readPcapng(simulate({ scenario: sc('udp-any-v6'), seed: 1, fault: 'no-any-address-inbound' }).pcapng).blocks;
  const inbound = any.filter((b) => b.kind === 'packet' && b.direction === 'in');
  t.ok(
    inbound.length >= 3 && inbound.every((b) => b.kind === 'packet' && b.socketId === undefined && b.pid === undefined),
    'inbound to the server bound to ::, and to the client (bound to :: by its first sendto), finds no socket',
  );
  t.ok(
    any.filter((b) => b.kind === 'packet' && b.direction === 'out').every((b) => b.kind === 'packet' && b.socketId !== undefined),
    'outbound is untouched',
  );
});

t.test('scenarios outside the set (dup, shutdown, sleep, an exit before capture-start): the perfect capture passes', async (t) => {
  const { scenario } = validateScenario({
    name: 'odd-steps',
    description: 'steps no scenario of the set combines',
    processes: ['a', 'b', 'c'],
    steps: [
      { kind: 'socket', by: 'b', sock: 's', family: 'inet6', type: 'stream' },
      { kind: 'bind', by: 'b', sock: 's', addr: '::1' },
      { kind: 'listen', by: 'b', sock: 's' },
      { kind: 'exit', by: 'a', code: 2 },
      { kind: 'capture-start' },
      { kind: 'socket', by: 'c', sock: 'x', family: 'inet6', type: 'stream' },
      { kind: 'connect', by: 'c', sock: 'x', to: { sock: 's' } },
      { kind: 'accept', by: 'b', sock: 's', as: 'y' },
      { kind: 'dup', by: 'c', sock: 'x', as: 'x2' },
      { kind: 'close', by: 'c', sock: 'x' },
      { kind: 'send', by: 'c', sock: 'x2', size: 30 },
      { kind: 'sleep', by: 'b', ms: 5 },
      { kind: 'recv', by: 'b', sock: 'y', size: 30 },
      { kind: 'shutdown', by: 'b', sock: 'y', how: 'wr' },
    ],
  });
  for (const seed of [1, 2, 3]) {
    const r = simulate({ scenario, seed });
    const v = judge(scenario, r.truth, r.pcapng);
    t.equal(v.status, 'pass', `seed ${seed}: ${v.mismatches.slice(0, 2).join('; ')}`);
    t.equal(v.packets.total, 2, 'one tagged send, read: two appearances');
  }
});

t.test('hone sim: writes the files, prints the text, checks, lists faults, prints the table', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hone-sim-'));
  const out = join(dir, 'c.pcapng');
  const r = await run(['fork-child-sends', '--fault', 'creator-only', '--seed', '5', '--out', out, '--check']);
  t.equal(r.code, 0);
  t.ok(
    existsSync(out) && existsSync(join(dir, 'c.honet.txt')) && existsSync(join(dir, 'c.truth.json')),
    'pcapng, text and derived truth written',
  );
  t.match(r.out, /check: fail/, "the checker's verdict: fail (no scenario has a known gap any more)");
  t.match(r.out, /missing read block of pid \d+ \(server\)/, 'the old sensor writes no read blocks');
  t.match(
    r.out,
    /check: fail \(packets 0\/\d+, events \d+\/\d+, control 0\/\d+, honet \d+\/\d+\)/,
    "no data packet right, and no packet of the kernel's either (labelled by creator)",
  );
  const truth = parseTruth(readFileSync(join(dir, 'c.truth.json'), 'utf8'));
  const again = await run(['fork-child-sends', '--truth', join(dir, 'c.truth.json'), '--out', join(dir, 'd.pcapng')]);
  t.equal(again.code, 0);
  t.equal(
    judge(sc('fork-child-sends'), truth, readFileSync(join(dir, 'd.pcapng'))).status,
    'pass',
    'perfect capture from a given truth.json passes',
  );
  const text = await run(['udp-any-v4']);
  t.match(text.out, /^\d+\.\d{9} HEAD \d+\.\d{9}\n/, 'without --out: the honet text');
  t.match(text.out, / PAKT I [0-9a-f]{16} 0 UDPv4 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ \d+ tid=0 by=reader netns=\d+ id=\d+\n/);
  t.match(text.out, / READ [0-9a-f]{16} \d+ tid=\d+ start=\d+ len=48 pkt=\d+\n/);
  const list = await run(['--list-faults']);
  for (const f of FAULTS) t.match(list.out, new RegExp(`^${f.name}\\n  models: `, 'm'), f.name);
  const table = await run(['--faults-table', '--scenario', 'two-threads-one-socket', '--scenario', 'udp-any-v6']);
  t.equal(table.code, 0, 'exit 0 when every applicable fault is caught');
  t.match(table.out, /two-threads-one-socket\s+pass\s+caught\s+caught/);
  t.match(table.out, /^ok: 2 perfect captures pass/m);
  t.match(table.out, /^no scenario here catches stale-pid-reuse$/m, 'a subset says which faults it does not exercise');
  const recorded = await run([
    '--faults-table',
    '--truths',
    join(here, '..', 'fixtures', 'truth'),
    '--scenario',
    'fork-child-sends',
    '--scenario',
    'udp-any-v4',
  ]);
  t.equal(recorded.code, 0, 'the table from truths recorded by the real runner');
  t.match(recorded.out, /fork-child-sends\s+pass\s+caught/);
  const err = await run(['tcp-loopback-v4', '--fault', 'nope']).catch((e: unknown) => e);
  t.ok(err instanceof HoneError && err.code === 'E_USAGE', 'an unknown fault is a usage error');
  t.match((err as Error).message, /unknown fault "nope"/);
  await t.rejects(run(['no-such-scenario']), HoneError);
  await t.rejects(run(['--faults-table', '--scenario', 'nope']), /unknown scenario nope/);
});

t.test(
  "dup and close-on-exec: the perfect sensor keeps the holder across one of two dups and drops the exec's cloexec socket (dup-and-close-on-exec)",
  async (t) => {
    const r = sim('dup-and-close-on-exec');
    const [c, e] = [r.cookieOf('client', 'c'), r.cookieOf('client', 'e')];
    const [client, child] = [r.pidOf('client'), r.pidOf('child')];
    const e0 = stepsOf(r.truth, 'socket').find((x) => x.sock === 'e')!;
    t.same([e0.cloexec, e0.socket?.cloexec], [true, true], 'the derived truth records cloexec like the runner');
    t.notOk(stepsOf(r.truth, 'dup')[0]!.socket?.cloexec, 'a dup is not close-on-exec');
    const uses = (what: string, cookie: string) =>
      r.blocks.flatMap((b, i) => (b.kind === 'use' && b.what === what && b.socketId === cookie ? [{ b, i }] : []));
    const execAt = r.blocks.findIndex((b) => b.kind === 'process' && b.event === 'exec' && b.pid === child);
    t.same(
      uses('lose', e).map((x) => [x.b.kind === 'use' && x.b.pid, x.b.kind === 'use' && x.b.via]),
      [
        [child, 'close'],
        [client, 'close'],
      ],
      'e: lost by the child (its exec), then by the client (its close)',
    );
    t.ok(uses('lose', e)[0]!.i < execAt, 'the close-on-exec lose comes before the exec block (begin_new_exec closes first)');
    t.same(
      uses('lose', c).map((x) => x.b.kind === 'use' && x.b.pid),
      [child, client],
      'c: no lose when the client closes c with c2 still open; one per process at its last descriptor',
    );
    const sendAfterExec = stepsOf(r.truth, 'send').find((x) => x.actor === 'child')!;
    t.ok(r.tagged(sendAfterExec.tag, 'out').length > 0, 'the child sends on c2 after its exec');
    const closeE = r.blocks.findIndex((b) => b.kind === 'connection' && b.event === 'close' && b.socketId === e);
    t.ok(closeE > uses('lose', e)[1]!.i, "e is closed with the client's close, not by the exec");
    t.equal(judge(sc('dup-and-close-on-exec'), r.truth, r.pcapng).status, 'pass', 'the perfect capture passes');
    const table = await run(['--faults-table', '--scenario', 'dup-and-close-on-exec']);
    t.equal(table.code, 0, 'hone sim --faults-table --scenario dup-and-close-on-exec exits 0');
    t.match(table.out, /^dup-and-close-on-exec\s+pass\s+caught/m);
  },
);
