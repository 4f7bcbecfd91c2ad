// The checker on captures built from runner truth files: the ones recorded
// by the real runner (fixtures/truth, truth-attribution, truth-proof) and,
// for scenarios without one, the simulated runner's. The ideal capture (the
// simulator's perfect sensor) must pass, and every way of breaking it must
// fail with a reason that says what is wrong. Every expectation comes from
// the truth: the tests of the holes the proof audit found (RULES.md) break
// a capture the way a wrong sensor would, keeping it consistent with itself.
import t, { type Test } from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseHonet, readPcapng } from '../../capture/index.ts';
import { checkScenario, FORMAT_PROMISES, parseTruth, type Truth, type TruthStepOf, type Verdict } from '../../check/index.ts';
import { loadScenario, loadScenarios, type Scenario, type StepKind } from '../../scenario/index.ts';
import { faultNamed, type EventFault, type TextFault } from '../../sim/faults/index.ts';
import { makeRng } from '../../sim/rng.ts';
import { deriveTruth } from '../../sim/runner-model.ts';
import { simulateSensor } from '../../sim/sensor/index.ts';
import { writeHonet } from '../../sim/write-honet.ts';
import { ipPacket, synthBlocks, toBlocks, writeBlocks, type SynthBlock } from '../fixtures/synth.ts';

const here = dirname(fileURLToPath(import.meta.url));
const truthDirs = ['truth', 'truth-attribution', 'truth-proof'].map((d) => join(here, '..', 'fixtures', d));
const scenarioDir = join(here, '..', '..', '..', 'scenarios');

const truths = new Map<string, Truth>();
for (const dir of truthDirs) {
  for (const f of readdirSync(dir)) {
    const truth = parseTruth(readFileSync(join(dir, f), 'utf8'), f);
    truths.set(truth.scenario, truth);
  }
}
/** Scenarios without a recorded truth: the simulated runner's (seed 1). */
for (const s of await loadScenarios()) if (!truths.has(s.name) && s.name !== 'thousand-connections') truths.set(s.name, deriveTruth(s, 1));

async function scenario(name: string): Promise<Scenario> {
  return loadScenario(join(scenarioDir, `${name}.ts`));
}

interface Opts {
  /** false drops the scenario's knownGap, a string gives it one (no scenario has one now). */
  gap?: boolean | string;
  order?: 'le' | 'be';
  monotonic?: boolean;
  honet?: string;
  truth?: Truth;
}

async function verdict(name: string, blocks: SynthBlock[], opts: Opts = {}): Promise<Verdict> {
  const s = await scenario(name);
  const sc = opts.gap === false ? { ...s, knownGap: undefined } : typeof opts.gap === 'string' ? { ...s, knownGap: opts.gap } : s;
  return checkScenario({
    scenario: sc,
    truth: opts.truth ?? truths.get(name)!,
    capture: readPcapng(writeBlocks(blocks, opts.order)),
    ...(opts.honet !== undefined ? { honet: parseHonet(opts.honet) } : {}),
    ...(opts.monotonic !== undefined ? { promises: { monotonicTimestamps: opts.monotonic } } : {}),
  });
}

const ideal = (name: string) => synthBlocks(truths.get(name)!, 'ideal');

/** The perfect capture with a simulator fault applied, as blocks. */
function faulty(name: string, fault: string, seed = 1): SynthBlock[] {
  const truth = truths.get(name)!;
  const f = faultNamed(fault) as EventFault;
  return toBlocks(f.apply({ truth, perfect: simulateSensor(truth, 1), rng: makeRng(seed) }));
}

type PacketB = Extract<SynthBlock, { kind: 'packet' }>;
type UseB = Extract<SynthBlock, { kind: 'use' }>;
type ProcB = Extract<SynthBlock, { kind: 'process' }>;
type ConnB = Extract<SynthBlock, { kind: 'connection' }>;

function firstTaggedPacket(blocks: SynthBlock[], role: 'sender' | 'reader'): PacketB {
  const b = blocks.find((x): x is PacketB => x.kind === 'packet' && x.role === role);
  if (!b) throw new Error(`no ${role} packet`);
  return b;
}

const uses = (blocks: SynthBlock[], what: 'read' | 'gain' | 'lose') =>
  blocks.filter((b): b is UseB => b.kind === 'use' && b.spec.what === what);
const controls = (blocks: SynthBlock[]) => blocks.filter((b): b is PacketB => b.kind === 'packet' && b.role === 'control');

/** A step of a scenario's truth, of one kind. */
function step<K extends StepKind>(name: string, kind: K, pred: (s: TruthStepOf<K>) => boolean = () => true): TruthStepOf<K> {
  const st = truths.get(name)!.steps.find((s): s is TruthStepOf<K> => s.kind === kind && pred(s as TruthStepOf<K>));
  if (!st) throw new Error(`no such ${kind} step in ${name}`);
  return st;
}

function failsWith(t: Test, v: Verdict, reason: RegExp): void {
  t.not(v.status, 'pass', 'does not pass');
  t.ok(
    v.mismatches.some((m) => reason.test(m)),
    `a mismatch says ${reason}`,
  ) || t.comment(v.mismatches.join('\n'));
}

t.test('an ideal capture passes every scenario with a truth, in both byte orders', async (t) => {
  t.ok(truths.size >= 26, 'truths are there');
  for (const name of truths.keys()) {
    for (const order of ['le', 'be'] as const) {
      const v = await verdict(name, ideal(name), { order });
      t.equal(v.status, 'pass', `${name} (${order})`) || t.comment(v.mismatches.join('\n'));
      t.equal(v.packets.wrong + v.packets.missing + v.events.wrong + v.events.missing + v.control.wrong + v.control.missing, 0);
      t.ok(v.packets.total > 0 && v.events.total > 0, `${name}: something was judged`);
    }
  }
});

t.test('creator attribution (the old sensor) fails every scenario; the hard ones name the creator', async (t) => {
  for (const name of truths.keys()) {
    const v = await verdict(name, synthBlocks(truths.get(name)!, 'creator'), { gap: false });
    t.equal(v.status, 'fail', `${name} fails`);
    t.ok(v.packets.wrong > 0, `${name}: wrong packets are counted, not hidden`);
    t.ok(v.events.missing > 0, `${name}: no read/lose blocks`);
  }
  failsWith(
    t,
    await verdict('tcp-loopback-v4', synthBlocks(truths.get('tcp-loopback-v4')!, 'creator')),
    /outgoing packet with tag \S+ sent by pid \d+ \(client\) is labelled creator, expected sender/,
  );
  const hard: Array<[string, RegExp]> = [
    ['fork-child-sends', /sent by pid \d+ \(child\) attributed to pid \d+ \(parent\), the socket's creator \(by creator\)/],
    ['fork-shared-turns', /sent by pid \d+ \(child\) attributed to pid \d+ \(parent\)/],
    ['exec-inherited-socket', /read by pid \d+ \(child\) attributed to pid \d+ \(parent\)/],
    ['scm-rights-passed', /sent by pid \d+ \(receiver\) attributed to pid \d+ \(owner\)/],
    ['two-threads-one-socket', /sent by pid \d+ \(worker\) tid \d+ \(t1\) attributed to thread \d+ \(worker\)/],
  ];
  for (const [name, reason] of hard) failsWith(t, await verdict(name, synthBlocks(truths.get(name)!, 'creator')), reason);
});

// ---- tagged data ----

t.test('outgoing: a wrong pid, socket, thread or label fails; no socket or no process fails', async (t) => {
  {
    const blocks = ideal('tcp-loopback-v4');
    const p = firstTaggedPacket(blocks, 'sender');
    p.spec.pid = 1;
    p.spec.tid = 1;
    const v = await verdict('tcp-loopback-v4', blocks);
    t.equal(v.packets.wrong, 1);
    failsWith(t, v, /outgoing packet with tag <HT:\w+:\d+> sent by pid \d+ \(client\) attributed to pid 1\b/);
  }
  {
    const blocks = ideal('udp-any-v6');
    firstTaggedPacket(blocks, 'reader').spec.socketId = '00000000deadbeef';
    failsWith(
      t,
      await verdict('udp-any-v6', blocks),
      /incoming packet with tag .* attributed to socket 00000000deadbeef \(not a scenario socket\), expected socket/,
    );
  }
  {
    const blocks = ideal('icmp-ping-v4');
    delete firstTaggedPacket(blocks, 'sender').spec.socketId;
    failsWith(t, await verdict('icmp-ping-v4', blocks), /has no socket/);
    const b2 = ideal('raw-socket-v4');
    const p = firstTaggedPacket(b2, 'sender');
    delete p.spec.pid;
    delete p.spec.tid;
    delete p.spec.startNs;
    failsWith(t, await verdict('raw-socket-v4', b2), /outgoing packet with tag \S+ sent by pid \d+ \(raw\) has no process \(by sender\)/);
  }
  {
    const blocks = ideal('two-threads-one-socket');
    for (const b of blocks) if (b.kind === 'packet' && b.role === 'sender') b.spec.tid = 0;
    failsWith(
      t,
      await verdict('two-threads-one-socket', blocks),
      /sent by pid \d+ \(worker\) tid \d+ \(t1\) has no thread id \(EPB option 8\)/,
    );
  }
  {
    const t1 = step('two-threads-one-socket', 'send', (s) => s.actor === 't1');
    const blocks = ideal('two-threads-one-socket');
    blocks.find((b): b is PacketB => b.kind === 'packet' && b.role === 'sender' && b.tag === t1.tag)!.spec.tid = t1.pid;
    failsWith(
      t,
      await verdict('two-threads-one-socket', blocks),
      /outgoing packet with tag \S+ sent by pid \d+ \(worker\) tid \d+ \(t1\) attributed to thread \d+ \(worker\) \(by sender\)/,
    );
  }
  {
    const out = ideal('tcp-loopback-v4');
    firstTaggedPacket(out, 'sender').spec.attribution = 'holder';
    failsWith(
      t,
      await verdict('tcp-loopback-v4', out),
      /outgoing packet with tag \S+ sent by pid \d+ \(client\) is labelled holder, expected sender/,
    );
  }
});

t.test('outgoing: the sender run (option 263) holding the tag must be the sending thread', async (t) => {
  const name = 'cork-released-by-later-write';
  const parent = step(name, 'send', (s) => s.actor === 'parent');
  const child = step(name, 'send', (s) => s.actor === 'child');
  const seg = (blocks: SynthBlock[]) => blocks.find((b): b is PacketB => b.kind === 'packet' && b.role === 'sender')!;
  const good = ideal(name);
  t.same(
    seg(good).spec.senders,
    [
      { offset: 0, pid: parent.pid, tid: parent.tid },
      { offset: 40, pid: child.pid, tid: child.tid },
    ],
    'one segment with both runs',
  );
  t.equal((await verdict(name, good)).status, 'pass');
  const oneRun = ideal(name);
  delete seg(oneRun).spec.senders;
  failsWith(
    t,
    await verdict(name, oneRun),
    new RegExp(
      `outgoing packet with tag ${child.tag.replace(/[<>]/g, '.')} sent by pid ${child.pid} \\(child\\) attributed to pid ${parent.pid} \\(parent\\), the socket's creator \\(by sender\\)`,
    ),
  );
  const wrongRun = ideal(name);
  seg(wrongRun).spec.senders = [
    { offset: 0, pid: parent.pid, tid: parent.tid },
    { offset: 41, pid: child.pid, tid: child.tid },
  ];
  failsWith(
    t,
    await verdict(name, wrongRun),
    /sent by pid \d+ \(child\) attributed to pid \d+ \(parent\).* in the sender run at payload offset 0 \(option 263\)/,
  );
});

t.test('a tagged packet in the wrong network namespace, or with none, fails', async (t) => {
  const truth = truths.get('netns-second-namespace')!;
  const ns = step('netns-second-namespace', 'netns');
  const blocks = ideal('netns-second-namespace');
  t.equal(firstTaggedPacket(blocks, 'sender').spec.netns, ns.netnsAfter, 'the packets are in the second namespace');
  firstTaggedPacket(blocks, 'sender').spec.netns = ns.netnsBefore;
  failsWith(
    t,
    await verdict('netns-second-namespace', blocks),
    new RegExp(`is in network namespace ${ns.netnsBefore}, its socket in ${ns.netnsAfter}`),
  );
  const none = ideal('tcp-loopback-v4');
  delete firstTaggedPacket(none, 'reader').spec.netns;
  failsWith(
    t,
    await verdict('tcp-loopback-v4', none),
    /incoming packet with tag \S+ read by .* has no network namespace \(EPB option 260\)/,
  );
  void truth;
});

t.test('incoming: the read block covering the tag must name the reading thread', async (t) => {
  const name = 'reply-read-by-forked-worker';
  const worker = step(name, 'recv', (s) => s.actor === 'worker');
  const client = step(name, 'socket', (s) => s.actor === 'client');
  const blocks = ideal(name);
  const read = uses(blocks, 'read').find((b) => b.spec.pid === worker.pid)!;
  read.spec.pid = client.pid;
  read.spec.tid = client.tid;
  read.spec.startNs = blocks.find((b): b is ProcB => b.kind === 'process' && b.spec.pid === client.pid)!.spec.startNs!;
  failsWith(
    t,
    await verdict(name, blocks),
    /incoming packet with tag \S+ read by pid \d+ \(worker\): the read block at offset \d+ that covers it names pid \d+ \(client\)/,
  );
  // an inbound packet may name no process, or the reader; anyone else is wrong
  const named = ideal(name);
  const reply = named.find((b): b is PacketB => b.kind === 'packet' && b.role === 'reader' && b.tag === worker.tags[0])!;
  reply.spec.pid = client.pid;
  reply.spec.tid = client.tid;
  failsWith(
    t,
    await verdict(name, named),
    /incoming packet with tag \S+ read by pid \d+ \(worker\) attributed to pid \d+ \(client\), the socket's creator \(by reader\)/,
  );
  const threads = ideal('two-threads-one-socket');
  const t2 = step('two-threads-one-socket', 'recv', (s) => s.tid !== s.pid);
  uses(threads, 'read').find((b) => b.spec.tid === t2.tid)!.spec.tid = t2.pid;
  const v = await verdict('two-threads-one-socket', threads);
  failsWith(t, v, /read by pid \d+ \(worker\) tid \d+ \(t\d\): the read block at offset \d+ that covers it names thread \d+ \(worker\)/);
  failsWith(t, v, /read block of pid \d+ \(worker\) tid \d+ \(t\d\) on socket .*: thread \d+ \(worker\), expected \d+ \(t\d\)/);
});

t.test(
  'incoming: no read block covering the tag fails (TCP by sequence number, datagrams by packet id); a retransmission already read is not held against it',
  async (t) => {
    const server = step('tcp-loopback-v4', 'recv', (s) => s.actor === 'server');
    const blocks = ideal('tcp-loopback-v4');
    blocks.splice(blocks.indexOf(uses(blocks, 'read').find((b) => b.spec.pid === server.pid)!), 1);
    const v = await verdict('tcp-loopback-v4', blocks);
    failsWith(
      t,
      v,
      /incoming packet with tag \S+ read by pid \d+ \(server\): no read block covers TCP sequence number \d+ on socket \w+ after the packet/,
    );
    failsWith(t, v, /missing read block of pid \d+ \(server\) on socket \w+ \(inet stream proto 6 accepted\) for 64 bytes/);

    const early = ideal('tcp-loopback-v4');
    const r3 = uses(early, 'read').find((b) => b.spec.pid === server.pid)!;
    early.splice(early.indexOf(r3), 1);
    early.splice(early.indexOf(firstTaggedPacket(early, 'reader')), 0, r3);
    failsWith(
      t,
      await verdict('tcp-loopback-v4', early),
      /read by pid \d+ \(server\): no read block covers it after the packet \(offset \d+\); the read block at offset \d+ before it does/,
    );

    const retrans = ideal('tcp-loopback-v4');
    const firstCopy = firstTaggedPacket(retrans, 'reader');
    const r4 = uses(retrans, 'read').find((b) => b.spec.pid === server.pid)!;
    retrans.splice(retrans.indexOf(r4) + 1, 0, {
      ...firstCopy,
      spec: { ...firstCopy.spec, packetId: 999n, timestampUs: r4.spec.timestampUs! + 1n },
    });
    const vr = await verdict('tcp-loopback-v4', retrans);
    t.equal(vr.status, 'pass', 'the duplicate after the read (its own packet id) is not held against the sensor') ||
      t.comment(vr.mismatches.join('\n'));

    const child = step('udp-shared-two-receivers', 'recvfrom', (s) => s.actor === 'child');
    const udp = ideal('udp-shared-two-receivers');
    delete uses(udp, 'read').find((b) => b.spec.pid === child.pid)!.spec.readPacketId;
    failsWith(
      t,
      await verdict('udp-shared-two-receivers', udp),
      /incoming packet with tag \S+ read by pid \d+ \(child\): no read block covers packet id \d+/,
    );
  },
);

t.test('incoming data nobody read is judged: on its socket, labelled reader, and no read block may claim it', async (t) => {
  // kernel-sent-ack-rst: the server's 72 bytes reach the client, which never reads them
  const name = 'kernel-sent-ack-rst';
  const sent = step(name, 'send', (s) => s.actor === 'server');
  const c = step(name, 'socket', (s) => s.actor === 'client').socket.cookie;
  const unread = (blocks: SynthBlock[]) =>
    blocks.find((b): b is PacketB => b.kind === 'packet' && b.role === 'reader' && b.tag === sent.tag)!;
  t.equal(unread(ideal(name)).spec.socketId, c, "the ideal capture has it on the client's socket");
  const gone = ideal(name);
  gone.splice(gone.indexOf(unread(gone)), 1);
  failsWith(
    t,
    await verdict(name, gone),
    new RegExp(
      `missing packet: incoming packet with tag ${sent.tag.replace(/[<>]/g, '.')} \\(sent at step ${sent.step}, read by nobody\\) on socket ${c} is not in the capture`,
    ),
  );
  failsWith(t, await verdict(name, faulty(name, 'unread-nobodys')), /incoming packet with tag \S+ \(read by nobody\) has no socket/);
  const claimed = ideal(name);
  const p = unread(claimed);
  const clientPid = step(name, 'socket', (s) => s.actor === 'client').pid;
  const seq = readPcapng(writeBlocks([p])).blocks.find((b) => b.kind === 'packet')!;
  void seq;
  claimed.splice(claimed.indexOf(p) + 1, 0, {
    kind: 'use',
    spec: {
      what: 'read',
      socketId: c,
      pid: clientPid,
      tid: clientPid,
      timestampUs: p.spec.timestampUs! + 1n,
      readPacketId: p.spec.packetId!,
      bytes: 72,
      seq: tcpRange(p, 72),
    },
  });
  failsWith(
    t,
    await verdict(name, claimed),
    /incoming packet with tag \S+ \(read by nobody\): the read block at offset \d+ of pid \d+ \(client\) covers it, but the truth has no read of it/,
  );
});

/** The sequence range [first, first + n) of a TCP packet's payload. */
function tcpRange(p: PacketB, n: number): { first: number; end: number } {
  const d = p.spec.data;
  const ihl = d[0]! >> 4 === 4 ? (d[0]! & 0xf) * 4 : 40;
  const first = d.readUInt32BE(ihl + 4);
  return { first, end: (first + n) >>> 0 };
}

t.test(
  "data sent before accept(): on the accepted socket, before its open block, labelled reader, named by the acceptor's READ",
  async (t) => {
    const name = 'data-before-accept';
    const acc = step(name, 'accept');
    const send = step(name, 'send', (s) => s.actor === 'client');
    const blocks = ideal(name);
    const p = blocks.find((b): b is PacketB => b.kind === 'packet' && b.role === 'reader' && b.tag === send.tag)!;
    const open = blocks.findIndex((b) => b.kind === 'connection' && b.spec.event === 'open' && b.spec.socketId === acc.socket.cookie);
    t.equal(p.spec.socketId, acc.socket.cookie, 'the ideal capture puts it on the accepted socket');
    t.ok(blocks.indexOf(p) < open, "before the accepted socket's open block");
    t.equal((await verdict(name, blocks)).status, 'pass');
    failsWith(
      t,
      await verdict(name, faulty(name, 'before-accept-none')),
      /incoming packet with tag \S+ read by pid \d+ \(server\) is labelled none, expected reader/,
    );
  },
);

// ---- events ----

t.test('a missing event fails (exit, fork, socket open, close)', async (t) => {
  const cases: Array<[string, (b: SynthBlock) => boolean, RegExp]> = [
    ['exit', (b) => b.kind === 'process' && b.spec.event === 'exit', /missing exit \(code 0\) of pid/],
    [
      'fork',
      (b) => b.kind === 'process' && b.spec.event === 'fork' && !b.snapshot,
      /missing fork of pid \d+ \(server\) by pid \d+ \(runner\)/,
    ],
    [
      'open',
      (b) => b.kind === 'connection' && b.spec.event === 'open',
      /missing open of socket \w+ \(inet stream proto 6\) by pid \d+ \(server\)/,
    ],
    ['close', (b) => b.kind === 'connection' && b.spec.event === 'close', /missing close of socket/],
  ];
  for (const [what, pick, reason] of cases) {
    const blocks = ideal('tcp-loopback-v4');
    blocks.splice(blocks.findIndex(pick), 1);
    const v = await verdict('tcp-loopback-v4', blocks);
    t.equal(v.events.missing, 1, `without its ${what}`);
    failsWith(t, v, reason);
  }
});

t.test('events out of causal order fail', async (t) => {
  const blocks = ideal('exec-inherited-socket');
  const exec = blocks.findIndex((b) => b.kind === 'process' && b.spec.event === 'exec' && !b.snapshot);
  const pid = (blocks[exec] as ProcB).spec.pid;
  const exit = blocks.findIndex((b) => b.kind === 'process' && b.spec.event === 'exit' && b.spec.pid === pid);
  const [exitBlock] = blocks.splice(exit, 1);
  blocks.splice(exec, 0, exitBlock!);
  const v = await verdict('exec-inherited-socket', blocks);
  failsWith(t, v, /exit \(code 0\) of pid \d+ \(child\).*out of causal order: it comes before the exec/);
  t.equal(
    (await verdict('exec-inherited-socket', blocks, { gap: 'a known gap' })).status,
    'todo',
    'a scenario with a knownGap would report it as TODO',
  );

  const b2 = ideal('udp-any-v4');
  const open = b2.findIndex((b) => b.kind === 'connection' && b.spec.event === 'open');
  const id = (b2[open] as ConnB).spec.socketId;
  const [closeBlock] = b2.splice(
    b2.findIndex((b) => b.kind === 'connection' && b.spec.event === 'close' && b.spec.socketId === id),
    1,
  );
  b2.splice(open, 0, closeBlock!);
  failsWith(t, await verdict('udp-any-v4', b2), /close of socket .* out of causal order/);

  const b3 = ideal('tcp-loopback-v4');
  const sent = firstTaggedPacket(b3, 'sender');
  b3.splice(b3.indexOf(sent), 1);
  b3.splice(b3.length - 1, 0, sent);
  failsWith(t, await verdict('tcp-loopback-v4', b3), /packet with tag .* comes after the close of its socket/);
});

t.test("an event stamped outside its step's time fails", async (t) => {
  const blocks = ideal('fork-child-sends');
  const fork = blocks.find(
    (b): b is ProcB =>
      b.kind === 'process' &&
      b.spec.event === 'fork' &&
      !b.snapshot &&
      b.spec.pid === step('fork-child-sends', 'fork', (s) => s.child === 'child').childPid,
  )!;
  fork.spec.timestampUs = fork.spec.timestampUs! - 50_000n;
  failsWith(
    t,
    await verdict('fork-child-sends', blocks),
    /fork of pid \d+ \(child\) by pid \d+ \(parent\) \(step \d+\): out of its step's time: .* \(before the step began\)/,
  );
  const read = ideal('tcp-loopback-v4');
  const r = uses(read, 'read')[0]!;
  r.spec.timestampUs = r.spec.timestampUs! + 5_000_000n;
  failsWith(t, await verdict('tcp-loopback-v4', read), /read block of .*: out of its step's time: .* \(after it ended\)/);
});

t.test('wrong or absent fields on events fail', async (t) => {
  const cases: Array<[string, string, (b: SynthBlock) => void, RegExp]> = [
    [
      'exec argv',
      'exec-inherited-socket',
      (b) => {
        if (b.kind === 'process' && b.spec.event === 'exec' && !b.snapshot) b.spec.argv = ['sh'];
      },
      /argv \["sh"\], expected/,
    ],
    [
      'exec path',
      'exec-inherited-socket',
      (b) => {
        if (b.kind === 'process' && b.spec.event === 'exec' && !b.snapshot) b.spec.exe = '/bin/sh';
      },
      /exe "\/bin\/sh", expected/,
    ],
    [
      'exit status',
      'fork-child-sends',
      (b) => {
        if (b.kind === 'process' && b.spec.event === 'exit') b.spec.exitStatus = 0x100;
      },
      /exit status 256, expected 768 \(exit code 3\)/,
    ],
    [
      'fork parent',
      'fork-child-sends',
      (b) => {
        if (b.kind === 'process' && b.spec.event === 'fork' && !b.snapshot) b.spec.ppid = 1;
      },
      /parent is pid 1, expected/,
    ],
    [
      'nspid',
      'tcp-loopback-v4',
      (b) => {
        if (b.kind === 'process' && b.spec.event === 'exit') b.spec.nspid = 1;
      },
      /pid in its own namespace 1 \(option 260\), expected \d+/,
    ],
    [
      'no nspid',
      'tcp-loopback-v4',
      (b) => {
        if (b.kind === 'process' && b.spec.event === 'fork') delete b.spec.nspid;
      },
      /no pid in its own namespace \(option 260/,
    ],
    [
      'open pid',
      'tcp-loopback-v4',
      (b) => {
        if (b.kind === 'connection' && b.spec.event === 'open') b.spec.pid = 1;
      },
      /opened by pid 1, expected/,
    ],
    [
      'open family',
      'tcp-loopback-v6',
      (b) => {
        if (b.kind === 'connection' && b.spec.event === 'open') b.spec.family = 2;
      },
      /family\/type\/proto 2\/1\/6, expected 10\/1\/6/,
    ],
    [
      'accepted flag',
      'tcp-loopback-v4',
      (b) => {
        if (b.kind === 'connection') b.spec.accepted = false;
      },
      /not flagged accepted/,
    ],
    [
      'no exit status',
      'tcp-loopback-v4',
      (b) => {
        if (b.kind === 'process' && b.spec.event === 'exit') delete b.spec.exitStatus;
      },
      /no exit status \(option 258\)/,
    ],
    [
      'no family/type/proto',
      'udp-any-v4',
      (b) => {
        if (b.kind === 'connection' && b.spec.event === 'open') delete b.spec.family;
      },
      /no family\/type\/proto/,
    ],
    [
      'no inode',
      'udp-any-v4',
      (b) => {
        if (b.kind === 'connection' && b.spec.event === 'open') delete b.spec.inode;
      },
      /no inode \(option 260; expected \d+\)/,
    ],
    [
      'no netns',
      'udp-any-v4',
      (b) => {
        if (b.kind === 'connection' && b.spec.event === 'open') delete b.spec.netns;
      },
      /no network namespace \(option 261; expected \d+\)/,
    ],
    [
      'snapshot flag',
      'socket-before-reader',
      (b) => {
        if (b.kind === 'connection') b.spec.snapshot = false;
      },
      /missing snapshot open of socket/,
    ],
    [
      'close family',
      'tcp-loopback-v4',
      (b) => {
        if (b.kind === 'connection' && b.spec.event === 'close') b.spec.protocol = 17;
      },
      /close of socket .*: family\/type\/proto 2\/1\/17, expected 2\/1\/6/,
    ],
    [
      'close fields absent',
      'tcp-loopback-v4',
      (b) => {
        if (b.kind === 'connection' && b.spec.event === 'close') delete b.spec.inode;
      },
      /close of socket .*: no inode/,
    ],
  ];
  for (const [what, name, edit, reason] of cases) {
    const blocks = ideal(name);
    blocks.forEach(edit);
    const v = await verdict(name, blocks, { gap: false });
    t.equal(v.status, 'fail', what);
    failsWith(t, v, reason);
  }
  // the pid namespace: process blocks carry the pid inside it (option 260) and its inode (261)
  const ns = ideal('pid-namespace');
  const init = step('pid-namespace', 'fork', (s) => s.child === 'nsinit');
  const fork = ns.find((b): b is ProcB => b.kind === 'process' && b.spec.event === 'fork' && b.spec.pid === init.childPid)!;
  t.equal(fork.spec.nspid, 1, 'the first process of the new namespace is pid 1 there');
  fork.spec.nspid = init.childPid;
  failsWith(
    t,
    await verdict('pid-namespace', ns),
    new RegExp(`fork of pid ${init.childPid} \\(nsinit\\).*pid in its own namespace ${init.childPid} \\(option 260\\), expected 1`),
  );
  const ns2 = ideal('pid-namespace');
  const f2 = ns2.find((b): b is ProcB => b.kind === 'process' && b.spec.event === 'fork' && b.spec.pid === init.childPid)!;
  f2.spec.pidns = 4026531836;
  failsWith(t, await verdict('pid-namespace', ns2), /pid namespace 4026531836 \(option 261\), expected \d+/);
});

t.test("a close block: its fields, its place after the last holder's lose, and no earlier than that release", async (t) => {
  // fork-shared-turns: the parent's socket c is held by parent and child; the child lets go first
  const name = 'fork-shared-turns';
  const closer = ideal(name);
  const cookie = step(name, 'socket', (s) => s.actor === 'parent').socket.cookie;
  const close = closer.find((b): b is ConnB => b.kind === 'connection' && b.spec.event === 'close' && b.spec.socketId === cookie)!;
  const server = step(name, 'socket', (s) => s.actor === 'server').pid;
  close.spec.pid = server;
  close.spec.tid = server;
  failsWith(
    t,
    await verdict(name, closer),
    new RegExp(
      `close of socket ${cookie} .*: closed by pid ${server} \\(server\\), but pid \\d+ \\(parent\\)( or pid \\d+ \\(child\\))? let go of it last`,
    ),
  );
  failsWith(
    t,
    await verdict(name, faulty(name, 'early-close')),
    new RegExp(`close of socket ${cookie} .*(out of its step's time|out of causal order)`),
  );
});

// ---- the kernel's own packets ----

t.test(
  'control packets: the handshake, FIN and RST the truth requires must be there; none may be dropped or left without a socket',
  async (t) => {
    const name = 'tcp-loopback-v4';
    const syn = (blocks: SynthBlock[]) => controls(blocks)[0]!;
    {
      const blocks = ideal(name);
      syn(blocks).spec.socketId = '0000000000000bad';
      const v = await verdict(name, blocks);
      t.equal(v.control.wrong, 1);
      failsWith(t, v, /outgoing TCP \[S\] packet .* attributed to socket 0000000000000bad \(not a scenario socket\)/);
    }
    {
      // the audit's first hole: a packet without a socket used to count as correct
      const blocks = ideal(name);
      delete syn(blocks).spec.socketId;
      delete syn(blocks).spec.holders;
      syn(blocks).spec.attribution = 'none';
      failsWith(t, await verdict(name, blocks), /outgoing TCP \[S\] packet \S+ -> \S+ at offset \d+ has no socket, expected \w+/);
    }
    {
      const blocks = ideal(name);
      blocks.splice(blocks.indexOf(syn(blocks)), 1);
      failsWith(
        t,
        await verdict(name, blocks),
        /^missing outgoing TCP SYN 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ on socket \w+ \(the handshake of pid \d+ \(client\)'s connect \(step \d+\)\)/,
      );
    }
    {
      const v = await verdict(name, faulty(name, 'drop-control'));
      t.ok(v.control.missing >= 8, 'handshake and FINs, both copies, are missing');
      failsWith(t, v, /^missing outgoing TCP FIN /);
    }
    {
      const v = await verdict(name, faulty(name, 'control-no-socket'));
      failsWith(t, v, /has no socket/);
    }
  },
);

t.test("control packets: labelled holder with the processes that held the socket then, by the truth's steps", async (t) => {
  const name = 'kernel-sent-ack-rst';
  const client = step(name, 'socket', (s) => s.actor === 'client');
  const server = step(name, 'socket', (s) => s.actor === 'server');
  const syn = () => {
    const blocks = ideal(name);
    return { blocks, b: controls(blocks)[0]! };
  };
  {
    const { blocks, b } = syn();
    t.same(b.spec.holders, [client.pid], 'the SYN lists the connecting process');
    b.spec.attribution = 'sender';
    b.spec.pid = client.pid;
    b.spec.tid = client.tid;
    failsWith(
      t,
      await verdict(name, blocks),
      /outgoing TCP \[S\] packet \S+ -> \S+ at offset \d+ on socket \w+ names pid \d+ \(client\) \(EPB option 258\/8\), but a packet no process wrote names none/,
    );
  }
  for (const label of ['creator', 'reader'] as const) {
    const { blocks, b } = syn();
    b.spec.attribution = label;
    failsWith(t, await verdict(name, blocks), new RegExp(`is labelled ${label}, expected holder: no process wrote it`));
  }
  {
    // the ACK of the client's data, well inside the time the client holds its socket
    const blocks = ideal(name);
    const data = firstTaggedPacket(blocks, 'sender');
    const ack = controls(blocks).find((b) => b.spec.socketId === client.socket.cookie && blocks.indexOf(b) > blocks.indexOf(data))!;
    ack.spec.attribution = 'none';
    delete ack.spec.holders;
    failsWith(t, await verdict(name, blocks), /is labelled none, but pid \d+ \(client\) held the socket then \(by the truth's steps\)/);
  }
  {
    const { blocks, b } = syn();
    b.spec.holders = [client.pid, server.pid];
    failsWith(
      t,
      await verdict(name, blocks),
      /lists holders pid \d+ \(server\), pid \d+ \(client\) \(option 264\), but by the truth's steps .*: extra pid \d+ \(server\) \(pid \d+ \(server\) never held it\)/,
    );
  }
  {
    // after the release nobody holds it: none (TIME_WAIT, the kernel's socket) or holder without a list
    const blocks = ideal('tcp-loopback-v4');
    const close = blocks.findIndex((b) => b.kind === 'connection' && b.spec.event === 'close');
    const c = blocks[close] as ConnB;
    const so = [...truths.get('tcp-loopback-v4')!.steps]
      .reverse()
      .find((s): s is TruthStepOf<'close'> => s.kind === 'close' && s.socket.cookie === c.spec.socketId)!.socket;
    const ack = (at: bigint, attribution: 'none' | 'holder'): PacketB => ({
      kind: 'packet',
      role: 'control',
      spec: {
        direction: 'out',
        data: ipPacket(so.local!, so.remote!, 6, Buffer.alloc(0), 0x10),
        socketId: c.spec.socketId,
        attribution,
        netns: c.spec.netns!,
        packetId: 777n,
        timestampUs: at,
      },
    });
    blocks.splice(close + 1, 0, ack(c.spec.timestampUs!, 'none'));
    t.equal((await verdict('tcp-loopback-v4', blocks)).status, 'pass', 'after the release: none is right');
    const early = ideal('tcp-loopback-v4');
    const first = firstTaggedPacket(early, 'sender');
    early.splice(early.indexOf(first) + 1, 0, ack(first.spec.timestampUs!, 'none'));
    failsWith(
      t,
      await verdict('tcp-loopback-v4', early),
      /outgoing TCP \[\.\] packet .* is labelled none, but pid \d+ \(\w+\) held the socket then/,
    );
  }
});

t.test("holder lists follow the truth: a fork's gain and a close's lose change them, in their steps' windows", async (t) => {
  // fork-shared-turns: parent makes socket c, forks child (gain), the child closes c (lose), then the parent
  const name = 'fork-shared-turns';
  const parentSock = step(name, 'socket', (s) => s.actor === 'parent');
  const child = step(name, 'fork', (s) => s.actor === 'parent').childPid;
  const parent = parentSock.pid;
  const so = [...truths.get(name)!.steps]
    .reverse()
    .find(
      (s): s is TruthStepOf<'close'> => s.kind === 'close' && s.actor === 'parent' && s.socket.cookie === parentSock.socket.cookie,
    )!.socket;
  const ack = (at: bigint, holders?: number[]): PacketB => ({
    kind: 'packet',
    role: 'control',
    spec: {
      direction: 'out',
      data: ipPacket(so.local!, so.remote!, 6, Buffer.alloc(0), 0x10),
      socketId: so.cookie,
      attribution: 'holder',
      netns: 4026531840,
      packetId: 90_000n + BigInt(at % 1000n),
      timestampUs: at,
      ...(holders ? { holders } : {}),
    },
  });
  const netns = (blocks: SynthBlock[]) =>
    blocks.find((b): b is PacketB => b.kind === 'packet' && b.spec.socketId === so.cookie)!.spec.netns!;
  /** An ACK placed (and stamped) right after the first tagged packet the child sends: both hold the socket then. */
  const during = async (holders?: number[]) => {
    const blocks = ideal(name);
    const childSend = step(name, 'send', (s) => s.actor === 'child');
    const p = blocks.find((b): b is PacketB => b.kind === 'packet' && b.role === 'sender' && b.tag === childSend.tag)!;
    const a = ack(p.spec.timestampUs! + 1n, holders);
    a.spec.netns = netns(blocks);
    blocks.splice(blocks.indexOf(p) + 1, 0, a);
    return verdict(name, blocks);
  };
  for (const holders of [
    [parent, child],
    [child, parent],
  ])
    t.equal((await during(holders)).status, 'pass', `${holders.join(', ')} (any order) is right`);
  failsWith(
    t,
    await during([parent]),
    /lists holders pid \d+ \(parent\) \(option 264\), but by the truth's steps pid \d+ \(parent\), pid \d+ \(child\) held it then: missing pid \d+ \(child\)/,
  );
  failsWith(t, await during(), /is labelled holder with no holders, but pid \d+ \(parent\), pid \d+ \(child\) held the socket then/);
  // the audit's second hole: gain blocks placed late, lose blocks early, with lists that agree with them
  failsWith(
    t,
    await verdict(name, faulty(name, 'late-gain')),
    /^gain \(via fork\) of socket .*(out of its step's time|out of causal order)/,
  );
  const v = await verdict(name, faulty(name, 'early-lose'));
  failsWith(t, v, /^lose \(via close\) of socket .*(out of its step's time|out of causal order)/);
  failsWith(t, v, /lists holders .* but by the truth's steps .* held it then: missing/);
});

t.test('expected RST: a socket closed with unread data must send one, labelled holder or none', async (t) => {
  const name = 'kernel-sent-ack-rst';
  const rst = (blocks: SynthBlock[]) =>
    blocks.find(
      (b): b is PacketB => b.kind === 'packet' && b.role === 'control' && b.spec.direction === 'out' && (b.spec.data[33]! & 4) !== 0,
    )!;
  const good = ideal(name);
  t.equal((await verdict(name, good)).status, 'pass');
  rst(good).spec.attribution = 'none';
  delete rst(good).spec.holders;
  t.equal((await verdict(name, good)).status, 'pass', 'none is accepted for the RST (nobody holds the socket after the close)');
  const missing = ideal(name);
  missing.splice(missing.indexOf(rst(missing)), 1);
  failsWith(
    t,
    await verdict(name, missing),
    /missing outgoing TCP RST 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ on socket \w+ \(the release of the socket with 72 bytes the peer sent unread \(step \d+\)\)/,
  );
  const labelled = ideal(name);
  const r = rst(labelled);
  r.spec.attribution = 'sender';
  const client = step(name, 'close', (s) => s.actor === 'client');
  r.spec.pid = client.pid;
  r.spec.tid = client.tid;
  failsWith(t, await verdict(name, labelled), /outgoing TCP \[R\.\] packet .* names pid \d+ \(client\)/);
});

// ---- holders ----

t.test('gain and lose blocks: missing, wrong way, wrong thread, out of order', async (t) => {
  const name = 'accepted-socket-to-child';
  const handler = step(name, 'fork', (s) => s.child === 'handler');
  {
    const blocks = ideal(name);
    blocks.splice(blocks.indexOf(uses(blocks, 'gain')[0]!), 1);
    failsWith(
      t,
      await verdict(name, blocks),
      new RegExp(
        `missing gain \\(via fork\\) of socket \\w+ \\(inet stream proto 6( accepted)?\\) by pid ${handler.childPid} \\(handler\\)`,
      ),
    );
  }
  {
    const blocks = ideal(name);
    blocks.splice(blocks.indexOf(uses(blocks, 'lose')[0]!), 1);
    failsWith(
      t,
      await verdict(name, blocks),
      /missing lose \(via close\) of socket \w+ \(inet stream proto 6 accepted\) by pid \d+ \(server\)/,
    );
  }
  {
    const blocks = ideal(name);
    uses(blocks, 'gain')[0]!.spec.via = 'recv';
    failsWith(t, await verdict(name, blocks), /gain \(via fork\) of socket .*: via recv, expected fork/);
  }
  {
    const blocks = ideal(name);
    uses(blocks, 'lose')[0]!.spec.tid = 1;
    failsWith(t, await verdict(name, blocks), /lose \(via close\) of socket .*: thread 1, expected \d+ \(server\)/);
  }
  {
    const blocks = ideal('scm-rights-passed');
    const g = uses(blocks, 'gain');
    t.same(
      g.map((b) => b.spec.via),
      ['recv'],
      'SCM_RIGHTS: one gain, via recv',
    );
    blocks.splice(blocks.indexOf(g[0]!), 1);
    failsWith(t, await verdict('scm-rights-passed', blocks), /missing gain \(via recv\) of socket \w+ .* by pid \d+ \(receiver\)/);
  }
  {
    const blocks = ideal('short-lived-sender');
    const l = uses(blocks, 'lose').find((b) => b.spec.via === 'exit')!;
    l.spec.tid = 1;
    failsWith(
      t,
      await verdict('short-lived-sender', blocks),
      /lose \(via exit\) of socket .*: thread 1, which is not a thread of pid \d+ \(burst\)/,
    );
  }
  {
    // a gain before the child's fork block
    const blocks = ideal(name);
    const g = uses(blocks, 'gain')[0]!;
    blocks.splice(blocks.indexOf(g), 1);
    const fork = blocks.findIndex((b) => b.kind === 'process' && b.spec.event === 'fork' && b.spec.pid === handler.childPid);
    blocks.splice(fork, 0, g);
    failsWith(
      t,
      await verdict(name, blocks),
      /gain \(via fork\) of socket .*: out of causal order: it comes before the fork of pid \d+ \(handler\)/,
    );
  }
});

t.test(
  'blocks no truth event asks for are wrong: a read or gain of a process that never held the socket, a second read, a bogus exec, a second exit',
  async (t) => {
    const name = 'accepted-socket-to-child';
    const client = step(name, 'socket', (s) => s.actor === 'client');
    const conn = step(name, 'accept').socket;
    for (const what of ['gain', 'read'] as const) {
      const blocks = ideal(name);
      const at = blocks.length - 1;
      const ts = (blocks[at - 1] as PacketB).spec.timestampUs;
      const extra: UseB =
        what === 'gain'
          ? { kind: 'use', spec: { what, socketId: conn.cookie, pid: client.pid, tid: client.tid, via: 'fork', timestampUs: ts! } }
          : {
              kind: 'use',
              spec: {
                what,
                socketId: conn.cookie,
                pid: client.pid,
                tid: client.tid,
                seq: { first: 1, end: 2 },
                bytes: 1,
                timestampUs: ts!,
              },
            };
      blocks.splice(at, 0, extra);
      const v = await verdict(name, blocks);
      failsWith(
        t,
        v,
        new RegExp(
          `${what} block at offset \\d+ names pid ${client.pid} \\(client\\) for socket ${conn.cookie} \\(inet stream proto 6 accepted\\), which that process never held`,
        ),
      );
    }
    {
      // the truth records each read call: a read block more than the runner's calls is made up
      const blocks = ideal('data-before-accept');
      const r = uses(blocks, 'read')[0]!;
      blocks.splice(blocks.indexOf(r) + 1, 0, { kind: 'use', spec: { ...r.spec, timestampUs: r.spec.timestampUs! + 1n } });
      failsWith(
        t,
        await verdict('data-before-accept', blocks),
        /read block at offset \d+ names pid \d+ \(server\) for socket \w+ .*: the truth has no such event for it/,
      );
    }
    failsWith(
      t,
      await verdict('tcp-loopback-v4', faulty('tcp-loopback-v4', 'bogus-exec')),
      /exec block at offset \d+ of pid \d+ \(\w+\), which the truth has no such event for/,
    );
    failsWith(
      t,
      await verdict('tcp-loopback-v4', faulty('tcp-loopback-v4', 'second-exit')),
      /exit block at offset \d+ of pid \d+ \(\w+\), which the truth has no such event for/,
    );
  },
);

t.test("the snapshot names every holder of a socket when the reader opens (the runner's /proc view)", async (t) => {
  const name = 'socket-shared-before-reader';
  const truth = truths.get(name)!;
  const c = step(name, 'socket', (s) => s.actor === 'client').socket.cookie;
  const child = step(name, 'fork', (s) => s.child === 'child').childPid;
  const cs = step(name, 'capture-start');
  t.ok(
    cs.fdView?.some((v) => v.pid === child),
    "the runner's view has the child",
  );
  const blocks = ideal(name);
  t.equal(blocks.filter((b) => b.kind === 'connection' && b.spec.snapshot && b.spec.socketId === c).length, 2, 'two snapshot opens of c');
  t.equal((await verdict(name, blocks)).status, 'pass');
  failsWith(
    t,
    await verdict(name, faulty(name, 'snapshot-one-holder')),
    new RegExp(`^missing snapshot open of socket ${c} .* for pid ${child} \\(child\\)`),
  );
  // a truth whose /proc view disagrees with its step records contradicts itself
  const broken: Truth = {
    ...truth,
    steps: truth.steps.map((s) => (s.kind === 'capture-start' ? { ...s, fdView: s.fdView!.filter((v) => v.pid !== child) } : s)),
  };
  failsWith(
    t,
    await verdict(name, blocks, { truth: broken }),
    /the truth contradicts itself: the runner's \/proc\/PID\/fd view at capture-start/,
  );
});

// ---- the capture as a whole ----

t.test('records as records: duplicates, timestamps, read ranges, absent start times, netns, inodes fail', async (t) => {
  const name = 'fork-shared-turns';
  const cases: Array<[string, RegExp]> = [
    ['duplicate-packets', /packet id \d+ appears twice/],
    ['zero-timestamps', /out of its step's time/],
    ['backwards-timestamps', /out of its step's time/],
    ['widened-reads', /^read block of .*(bytes \(option 263\), the runner read|sequence range)/],
    ['no-start-times', /no start time/],
    ['no-netns', /no network namespace/],
    ['no-inode', /no inode \(option 260/],
  ];
  for (const [fault, reason] of cases) failsWith(t, await verdict(name, faulty(name, fault)), reason);
  const twice = ideal(name);
  const exit = twice.find((b): b is ProcB => b.kind === 'process' && b.spec.event === 'exit')!;
  twice.splice(twice.indexOf(exit), 0, { ...exit, spec: { ...exit.spec } });
  failsWith(
    t,
    await verdict(name, twice),
    /the exit block at offset \d+ is the same block as the one at offset \d+ \(a record written twice\)/,
  );
});

t.test('timestamps in stream order: judged only where the format promises it (one switch), both ways', async (t) => {
  const name = 'tcp-loopback-v4';
  const good = ideal(name);
  t.equal((await verdict(name, good, { monotonic: true })).status, 'pass', 'a capture in time order passes with the promise');
  t.equal((await verdict(name, good, { monotonic: false })).status, 'pass', 'and without it');
  // two records of different sockets' steps swapped in the stream, each inside its window
  const swapped = ideal(name);
  const a = swapped.findIndex((b) => b.kind === 'connection' && b.spec.event === 'open');
  const [open] = swapped.splice(a, 1);
  swapped.splice(a + 1, 0, open!);
  t.equal(
    (await verdict(name, swapped, { monotonic: false })).status,
    'pass',
    'out of time order passes while the format does not promise it',
  );
  failsWith(
    t,
    await verdict(name, swapped, { monotonic: true }),
    /timestamps run backwards in 1 place \(the format promises non-decreasing timestamps within a section\)/,
  );
  t.equal(FORMAT_PROMISES.monotonicTimestamps, true, 'the event core promises it (merged per-CPU rings)');
  failsWith(t, await verdict(name, swapped), /timestamps run backwards in 1 place/);
  // a drop record (an ISB in the middle of the section) is tolerated and reported
  const dropped = ideal(name);
  dropped.splice(5, 0, { kind: 'stats', counters: { 7: 3n } });
  const v = await verdict(name, dropped, { monotonic: true });
  t.equal(v.status, 'pass', 'an ISB among the records judges nothing') || t.comment(v.mismatches.join('\n'));
  t.match(v.notes.join('\n'), /drop record \(ISB in the middle of the section\) at offset \d+: the reader's ring was full: 3 packets/);
});

t.test('honet text against the PCAP-NG: the same events, or the capture fails', async (t) => {
  const name = 'fork-child-sends';
  const truth = truths.get(name)!;
  const perfect = simulateSensor(truth, 1);
  const text = writeHonet(perfect);
  const blocks = toBlocks(perfect);
  t.equal((await verdict(name, blocks, { honet: text })).status, 'pass');
  const bad = (faultNamed('honet-disagrees') as TextFault).apply(text, makeRng(1));
  const v = await verdict(name, blocks, { honet: bad });
  failsWith(
    t,
    v,
    /^honet text and PCAP-NG disagree: the honet line \d+ and the packet \(id \d+\) at offset \d+ disagree: by=\w+ in the text, \w+ in the PCAP-NG/,
  );
  failsWith(t, v, /^honet text and PCAP-NG disagree: the (read|gain|lose) block at offset \d+ has no honet line/);
  t.ok(v.honet!.wrong >= 2, 'counted');
});

t.test('degenerate inputs never pass', async (t) => {
  const truth = truths.get('tcp-loopback-v4')!;
  const s = await scenario('tcp-loopback-v4');
  const empty = checkScenario({ scenario: s, truth, capture: { blocks: [] } });
  t.equal(empty.status, 'fail', 'empty capture');
  t.ok(empty.packets.missing > 0 && empty.events.missing > 0);
  t.equal((await verdict('tcp-loopback-v4', [])).status, 'fail', 'header-only capture');
  const failedRun = checkScenario({
    scenario: s,
    truth: { ...truth, ok: false, error: 'step 6 (client connect): Connection refused' },
    capture: readPcapng(writeBlocks(ideal('tcp-loopback-v4'))),
  });
  t.equal(failedRun.status, 'fail', 'a runner failure is never a pass');
  t.match(failedRun.mismatches[0], /runner did not complete the scenario: step 6/);
  t.equal(
    checkScenario({ scenario: { ...s, knownGap: 'x' }, truth: { ...truth, ok: false }, capture: { blocks: [] } }).status,
    'fail',
    'a runner failure is not hidden as TODO',
  );
  t.equal(
    checkScenario({
      scenario: s,
      truth: { ...truth, steps: truth.steps.filter((x) => x.kind === 'sleep') },
      capture: readPcapng(writeBlocks([])),
    }).status,
    'fail',
    'nothing to judge',
  );
  t.equal(
    checkScenario({ scenario: { ...s, name: 'other' }, truth, capture: readPcapng(writeBlocks(ideal('tcp-loopback-v4'))) }).status,
    'fail',
    'truth of another scenario',
  );
});

t.test('parseTruth rejects what is not a truth file', async (t) => {
  t.throws(() => parseTruth('{"version":1,'), /not valid JSON/);
  t.throws(() => parseTruth('{"version":2}'), /version is 2/);
  t.throws(() => parseTruth('{"version":1,"scenario":"x","runId":"1","ok":true,"steps":[{"step":0}]}'), /steps\[0\] lacks actor/);
  const fork = { step: 0, actor: 'runner', kind: 'fork', pid: 1, tid: 1, monoNs: 1, child: 'a' };
  t.throws(
    () => parseTruth(JSON.stringify({ version: 1, scenario: 'x', runId: '1', ok: true, steps: [fork] })),
    /steps\[0\] \(fork\) lacks childPid \(number\)/,
  );
  t.throws(
    () => parseTruth(JSON.stringify({ version: 1, scenario: 'x', runId: '1', ok: true, steps: [{ ...fork, kind: 'teleport' }] })),
    /unknown kind "teleport"/,
  );
});

// ---- start times: one process instance, one start time, inside its fork ----

t.test('start times: required, one per process instance, inside the fork that made it', async (t) => {
  const name = 'two-threads-one-socket';
  const worker = step(name, 'fork', (s) => s.child === 'worker').childPid;
  const blocks = ideal(name);
  const given = new Set<bigint | undefined>();
  for (const b of blocks)
    if ((b.kind === 'process' || b.kind === 'use' || (b.kind === 'packet' && b.role === 'sender')) && b.spec.pid === worker)
      given.add(b.spec.startNs);
  t.equal(given.size, 1, 'fork, exit, sender packets, read and lose blocks of the worker: one start time');
  // the audit's hole: a capture without start times used to pass
  const none = ideal(name);
  for (const b of none) if (b.kind === 'process' || b.kind === 'use' || b.kind === 'packet') delete b.spec.startNs;
  failsWith(t, await verdict(name, none), /no start time for pid \d+ \(worker\) \(option 259\)/);
  // an EXIT written by another thread with that thread's start
  const t2 = step(name, 'thread', (s) => s.thread === 't2');
  const b2 = ideal(name);
  const fork = b2.find((b): b is ProcB => b.kind === 'process' && b.spec.event === 'fork' && b.spec.pid === worker)!;
  const exit = b2.find((b): b is ProcB => b.kind === 'process' && b.spec.event === 'exit' && b.spec.pid === worker)!;
  exit.spec.tid = t2.threadTid;
  t.equal((await verdict(name, b2)).status, 'pass', "an EXIT written by thread t2 with the process's start time is right");
  exit.spec.startNs = BigInt(t2.monoNs) + 50_000n;
  failsWith(
    t,
    await verdict(name, b2),
    new RegExp(
      `exit \\(code 0\\) of pid ${worker} \\(worker\\) \\(step \\d+\\): start time \\d+ for pid ${worker} \\(worker\\) \\(option 259, written for thread ${t2.threadTid} \\(t2\\)\\), but its fork block at offset \\d+ says ${fork.spec.startNs}: a different process instance`,
    ),
  );
  // all alike, but not inside the fork step
  const b3 = ideal(name);
  for (const b of b3)
    if ((b.kind === 'process' || b.kind === 'use' || b.kind === 'packet') && b.spec.pid === worker && b.spec.startNs !== undefined)
      b.spec.startNs = 5n;
  failsWith(t, await verdict(name, b3), /start time 5 for pid \d+ \(worker\) .* is not inside its fork \(step \d+/);
});

t.test('start times: a sender packet or a read block with another start time fails; a reused pid is another process', async (t) => {
  const name = 'fork-child-sends';
  const child = step(name, 'fork', (s) => s.child === 'child').childPid;
  {
    const blocks = ideal(name);
    const p = blocks.find((b): b is PacketB => b.kind === 'packet' && b.role === 'sender' && b.spec.pid === child)!;
    const right = p.spec.startNs!;
    p.spec.startNs = right + 1n;
    const v = await verdict(name, blocks);
    t.equal(v.packets.wrong, 1, 'the packet is the wrong one');
    failsWith(
      t,
      v,
      new RegExp(
        `outgoing packet with tag \\S+ at offset \\d+: start time ${right + 1n} for pid ${child} \\(child\\) \\(EPB option 262\\), but its fork block at offset \\d+ says ${right}: a different process instance`,
      ),
    );
  }
  {
    const blocks = ideal(name);
    const fork = blocks.find((b): b is ProcB => b.kind === 'process' && b.spec.event === 'fork' && b.spec.pid === child)!;
    const later = fork.spec.startNs! + 9_000_000_000n;
    const at = blocks.length - 1;
    const ts = (blocks[at - 1] as ConnB).spec.timestampUs!;
    const again: SynthBlock[] = [
      { kind: 'process', spec: { ...fork.spec, startNs: later, timestampUs: ts } },
      {
        kind: 'process',
        spec: { event: 'exit', pid: child, ppid: fork.spec.ppid!, exitStatus: 0, startNs: later, nspid: child, timestampUs: ts + 1n },
      },
    ];
    blocks.splice(at, 0, ...again);
    const v = await verdict(name, blocks);
    t.equal(v.status, 'pass', 'the second instance of the pid is another process, not judged') || t.comment(v.mismatches.join('\n'));
  }
});

// ---- dup and close-on-exec (dup-and-close-on-exec) ----

t.test("dup and close-on-exec: the child's close-on-exec lose, no lose for closing one of two dups", async (t) => {
  const name = 'dup-and-close-on-exec';
  const e = step(name, 'socket', (s) => s.sock === 'e');
  const c = step(name, 'socket', (s) => s.sock === 'c');
  const childPid = step(name, 'fork', (s) => s.child === 'child').childPid;
  const blocks = ideal(name);
  const loses = uses(blocks, 'lose');
  t.same(
    loses.filter((b) => b.spec.socketId === e.socket.cookie).map((b) => [b.spec.pid, b.spec.via]),
    [
      [childPid, 'close'],
      [c.pid, 'close'],
    ],
    'e: the child by its exec, the client by its close',
  );
  t.same(
    loses.filter((b) => b.spec.socketId === c.socket.cookie).map((b) => [b.spec.pid, b.spec.via]),
    [
      [childPid, 'close'],
      [c.pid, 'close'],
    ],
    'c: one lose per process, at its last descriptor',
  );
  t.equal((await verdict(name, blocks)).status, 'pass');
  const i = blocks.findIndex(
    (b) => b.kind === 'use' && b.spec.what === 'lose' && b.spec.pid === childPid && b.spec.socketId === e.socket.cookie,
  );
  blocks.splice(i, 1);
  failsWith(
    t,
    await verdict(name, blocks),
    /^missing lose \(via close\) of socket \w+ \(inet stream proto 6\) by pid \d+ \(child\) \(step \d+\)$/,
  );
  // a lose at the close of the first of two dup'd descriptors, with lists that agree with it
  const send = step(name, 'send', (s) => s.actor === 'client');
  const moved = ideal(name);
  const last = moved.find(
    (b): b is UseB => b.kind === 'use' && b.spec.what === 'lose' && b.spec.pid === c.pid && b.spec.socketId === c.socket.cookie,
  )!;
  const at = moved.findIndex((b) => b.kind === 'packet' && b.role === 'sender' && b.tag === send.tag);
  moved.splice(moved.indexOf(last), 1);
  moved.splice(at, 0, { kind: 'use', spec: { ...last.spec, timestampUs: (moved[at] as PacketB).spec.timestampUs! } });
  for (const b of moved.slice(at))
    if (b.kind === 'packet' && b.spec.socketId === c.socket.cookie && b.spec.holders)
      b.spec.holders = b.spec.holders.filter((p) => p !== c.pid);
  failsWith(
    t,
    await verdict(name, moved),
    /^lose \(via close\) of socket \w+ \(inet stream proto 6\) by pid \d+ \(client\) \(step \d+\): .*(out of its step's time|out of causal order)/,
  );
});
