// The checker on hand-made captures built from real runner truth files
// (fixtures/truth and fixtures/truth-attribution, recorded with
// `hone-runner run --no-capture` on the dev host): an ideal capture must
// pass, and every way of breaking it must fail with a reason that says what
// is wrong.
import t, { type Test } from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPcapng } from '../../capture/index.ts';
import { checkScenario, parseTruth, type Truth, type Verdict } from '../../check/index.ts';
import { loadScenario, type Scenario } from '../../scenario/index.ts';
import { ipPacket, synthBlocks, writeBlocks, type SynthBlock } from '../fixtures/synth.ts';

const here = dirname(fileURLToPath(import.meta.url));
const truthDirs = [join(here, '..', 'fixtures', 'truth'), join(here, '..', 'fixtures', 'truth-attribution')];
const scenarioDir = join(here, '..', '..', '..', 'scenarios');

const truths = new Map<string, Truth>();
for (const dir of truthDirs) {
  for (const f of readdirSync(dir)) {
    const truth = parseTruth(readFileSync(join(dir, f), 'utf8'), f);
    truths.set(truth.scenario, truth);
  }
}

async function scenario(name: string): Promise<Scenario> {
  return loadScenario(join(scenarioDir, `${name}.ts`));
}

/** gap: false drops the scenario's knownGap, a string gives it one (no scenario has one now). */
async function verdict(name: string, blocks: SynthBlock[], opts: { gap?: boolean | string; order?: 'le' | 'be' } = {}): Promise<Verdict> {
  const s = await scenario(name);
  const sc = opts.gap === false ? { ...s, knownGap: undefined } : typeof opts.gap === 'string' ? { ...s, knownGap: opts.gap } : s;
  return checkScenario({ scenario: sc, truth: truths.get(name)!, capture: readPcapng(writeBlocks(blocks, opts.order)) });
}

const ideal = (name: string) => synthBlocks(truths.get(name)!, 'ideal');

function firstTaggedPacket(blocks: SynthBlock[], role: 'sender' | 'reader'): Extract<SynthBlock, { kind: 'packet' }> {
  const b = blocks.find((x): x is Extract<SynthBlock, { kind: 'packet' }> => x.kind === 'packet' && x.role === role);
  if (!b) throw new Error(`no ${role} packet`);
  return b;
}

function failsWith(t: Test, v: Verdict, reason: RegExp): void {
  t.not(v.status, 'pass', 'does not pass');
  t.ok(v.mismatches.some((m) => reason.test(m)), `a mismatch says ${reason}`) || t.comment(v.mismatches.join('\n'));
}

t.test('an ideal capture passes every recorded scenario, in both byte orders', async (t) => {
  t.ok(truths.size >= 20, 'truth fixtures are there');
  for (const name of truths.keys()) {
    for (const order of ['le', 'be'] as const) {
      const v = await verdict(name, ideal(name), { order });
      t.equal(v.status, 'pass', `${name} (${order})`) || t.comment(v.mismatches.join('\n'));
      t.equal(v.packets.wrong + v.packets.missing + v.events.wrong + v.events.missing, 0);
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
  failsWith(t, await verdict('tcp-loopback-v4', synthBlocks(truths.get('tcp-loopback-v4')!, 'creator')), /outgoing packet with tag \S+ sent by pid \d+ \(client\) is labelled creator, expected sender/);
  const hard: Array<[string, RegExp]> = [
    ['fork-child-sends', /sent by pid \d+ \(child\) attributed to pid \d+ \(parent\), the socket's creator \(by creator\)/],
    ['fork-shared-turns', /sent by pid \d+ \(child\) attributed to pid \d+ \(parent\)/],
    ['exec-inherited-socket', /read by pid \d+ \(child\) attributed to pid \d+ \(parent\)/],
    ['scm-rights-passed', /sent by pid \d+ \(receiver\) attributed to pid \d+ \(owner\)/],
    ['two-threads-one-socket', /sent by pid \d+ \(worker\) tid \d+ \(t1\) attributed to thread \d+ \(worker\)/],
  ];
  for (const [name, reason] of hard) {
    const v = await verdict(name, synthBlocks(truths.get(name)!, 'creator'));
    t.equal(v.status, 'fail', `${name}: creator attribution fails`);
    failsWith(t, v, reason);
  }
});

t.test('wrong pid on a tagged packet fails', async (t) => {
  const blocks = ideal('tcp-loopback-v4');
  const p = firstTaggedPacket(blocks, 'sender');
  p.spec.pid = 1;
  p.spec.tid = 1;
  const v = await verdict('tcp-loopback-v4', blocks);
  t.equal(v.status, 'fail');
  t.equal(v.packets.wrong, 1);
  failsWith(t, v, /outgoing packet with tag <HT:\w+:\d+> sent by pid \d+ \(client\) attributed to pid 1\b/);
});

t.test('wrong socket on a tagged packet fails', async (t) => {
  const blocks = ideal('udp-any-v6');
  const p = firstTaggedPacket(blocks, 'reader');
  p.spec.socketId = '00000000deadbeef';
  const v = await verdict('udp-any-v6', blocks);
  t.equal(v.status, 'fail');
  failsWith(t, v, /incoming packet with tag .* attributed to socket 00000000deadbeef \(not a scenario socket\), expected socket/);
});

t.test('a tagged packet with no socket, or an outgoing one with no process, fails', async (t) => {
  const blocks = ideal('icmp-ping-v4');
  delete firstTaggedPacket(blocks, 'sender').spec.socketId;
  failsWith(t, await verdict('icmp-ping-v4', blocks), /has no socket/);
  const b2 = ideal('raw-socket-v4');
  const p = firstTaggedPacket(b2, 'sender');
  delete p.spec.pid;
  delete p.spec.tid;
  failsWith(t, await verdict('raw-socket-v4', b2), /outgoing packet with tag \S+ sent by pid \d+ \(raw\) has no process \(by sender\)/);
});

t.test('an outgoing packet without a thread id fails, main thread or not', async (t) => {
  const blocks = ideal('two-threads-one-socket');
  for (const b of blocks) if (b.kind === 'packet' && b.role === 'sender') b.spec.tid = 0;
  const v = await verdict('two-threads-one-socket', blocks, { gap: false });
  t.equal(v.status, 'fail');
  failsWith(t, v, /sent by pid \d+ \(worker\) tid \d+ \(t1\) has no thread id \(EPB option 8\)/);
  const simple = ideal('tcp-loopback-v4');
  for (const b of simple) if (b.kind === 'packet' && b.role === 'sender') b.spec.tid = 0;
  failsWith(t, await verdict('tcp-loopback-v4', simple), /sent by pid \d+ \(client\) has no thread id/);
});

t.test('a tagged packet in the wrong network namespace fails', async (t) => {
  const truth = truths.get('netns-second-namespace')!;
  const inside = truth.steps.find((x) => x.kind === 'netns')!.netnsAfter!;
  const blocks = ideal('netns-second-namespace');
  for (const b of blocks) if (b.kind === 'packet') b.spec.netns = inside;
  t.equal((await verdict('netns-second-namespace', blocks)).status, 'pass', 'the namespace the sockets live in is right');
  firstTaggedPacket(blocks, 'sender').spec.netns = truth.steps.find((x) => x.kind === 'netns')!.netnsBefore!;
  const v = await verdict('netns-second-namespace', blocks, { gap: false });
  t.equal(v.status, 'fail');
  failsWith(t, v, new RegExp(`is in network namespace \\d+, its socket in ${inside}`));
});

t.test('a missing packet fails', async (t) => {
  const blocks = ideal('tcp-loopback-v6');
  blocks.splice(blocks.indexOf(firstTaggedPacket(blocks, 'reader')), 1);
  const v = await verdict('tcp-loopback-v6', blocks);
  t.equal(v.status, 'fail');
  t.equal(v.packets.missing, 1);
  failsWith(t, v, /missing packet: incoming packet with tag .* read by pid \d+ \(server\) .* is not in the capture/);
});

t.test('a missing event fails (exit, fork, socket open, close)', async (t) => {
  const cases: Array<[string, (b: SynthBlock) => boolean, RegExp]> = [
    ['exit', (b) => b.kind === 'process' && b.spec.event === 'exit', /missing exit \(code 0\) of pid/],
    ['fork', (b) => b.kind === 'process' && b.spec.event === 'fork', /missing fork of pid \d+ \(server\) by pid \d+ \(runner\)/],
    ['open', (b) => b.kind === 'connection' && b.spec.event === 'open', /missing open of socket \w+ \(inet stream proto 6\) by pid \d+ \(server\)/],
    ['close', (b) => b.kind === 'connection' && b.spec.event === 'close', /missing close of socket/],
  ];
  for (const [what, pick, reason] of cases) {
    const blocks = ideal('tcp-loopback-v4');
    blocks.splice(blocks.findIndex(pick), 1);
    const v = await verdict('tcp-loopback-v4', blocks);
    t.equal(v.status, 'fail', `without its ${what}`);
    t.equal(v.events.missing, 1);
    failsWith(t, v, reason);
  }
});

t.test('events out of causal order fail', async (t) => {
  // exit of the exec'ed child moved before its exec
  const blocks = ideal('exec-inherited-socket');
  const exec = blocks.findIndex((b) => b.kind === 'process' && b.spec.event === 'exec');
  const pid = (blocks[exec] as Extract<SynthBlock, { kind: 'process' }>).spec.pid;
  const exit = blocks.findIndex((b) => b.kind === 'process' && b.spec.event === 'exit' && b.spec.pid === pid);
  const [exitBlock] = blocks.splice(exit, 1);
  blocks.splice(exec, 0, exitBlock!);
  const v = await verdict('exec-inherited-socket', blocks);
  t.equal(v.status, 'fail');
  failsWith(t, v, /exit \(code 0\) of pid \d+ \(child\).*out of causal order: it comes before the exec/);
  t.equal((await verdict('exec-inherited-socket', blocks, { gap: 'a known gap' })).status, 'todo', 'a scenario with a knownGap would report it as TODO');

  // socket close before its open
  const b2 = ideal('udp-any-v4');
  const open = b2.findIndex((b) => b.kind === 'connection' && b.spec.event === 'open');
  const id = (b2[open] as Extract<SynthBlock, { kind: 'connection' }>).spec.socketId;
  const close = b2.findIndex((b) => b.kind === 'connection' && b.spec.event === 'close' && b.spec.socketId === id);
  const [closeBlock] = b2.splice(close, 1);
  b2.splice(open, 0, closeBlock!);
  failsWith(t, await verdict('udp-any-v4', b2), /close of socket .* out of causal order/);

  // a tagged packet after its socket's close
  const b3 = ideal('tcp-loopback-v4');
  const sent = firstTaggedPacket(b3, 'sender');
  b3.splice(b3.indexOf(sent), 1);
  b3.splice(b3.length - 1, 0, sent);
  failsWith(t, await verdict('tcp-loopback-v4', b3), /packet with tag .* comes after the close of its socket/);
});

t.test('wrong fields on events fail', async (t) => {
  const cases: Array<[string, string, (b: SynthBlock) => void, RegExp]> = [
    ['exec argv', 'exec-inherited-socket', (b) => { if (b.kind === 'process' && b.spec.event === 'exec') b.spec.argv = ['sh']; }, /argv \["sh"\], expected/],
    ['exec path', 'exec-inherited-socket', (b) => { if (b.kind === 'process' && b.spec.event === 'exec') b.spec.exe = '/bin/sh'; }, /exe "\/bin\/sh", expected/],
    ['exit status', 'fork-child-sends', (b) => { if (b.kind === 'process' && b.spec.event === 'exit') b.spec.exitStatus = 0x100; }, /exit status 256, expected 768 \(exit code 3\)/],
    ['fork parent', 'fork-child-sends', (b) => { if (b.kind === 'process' && b.spec.event === 'fork') b.spec.ppid = 1; }, /parent is pid 1, expected/],
    ['open pid', 'tcp-loopback-v4', (b) => { if (b.kind === 'connection' && b.spec.event === 'open') b.spec.pid = 1; }, /opened by pid 1, expected/],
    ['open family', 'tcp-loopback-v6', (b) => { if (b.kind === 'connection' && b.spec.event === 'open') b.spec.family = 2; }, /family\/type\/proto 2\/1\/6, expected 10\/1\/6/],
    ['accepted flag', 'tcp-loopback-v4', (b) => { if (b.kind === 'connection') b.spec.accepted = false; }, /not flagged accepted/],
    ['no exit status', 'tcp-loopback-v4', (b) => { if (b.kind === 'process' && b.spec.event === 'exit') delete b.spec.exitStatus; }, /no exit status \(option 258\)/],
    ['no family/type/proto', 'udp-any-v4', (b) => { if (b.kind === 'connection' && b.spec.event === 'open') delete b.spec.family; }, /no family\/type\/proto/],
    ['snapshot flag', 'socket-before-reader', (b) => { if (b.kind === 'connection') b.spec.snapshot = false; }, /not flagged snapshot/],
  ];
  for (const [what, name, edit, reason] of cases) {
    const blocks = ideal(name);
    blocks.forEach(edit);
    const v = await verdict(name, blocks, { gap: false });
    t.equal(v.status, 'fail', what);
    t.ok(v.events.wrong > 0, `${what}: counted wrong`);
    failsWith(t, v, reason);
  }
});

t.test('a handshake packet on the wrong socket fails; with no socket it is only counted', async (t) => {
  const blocks = ideal('tcp-loopback-v4');
  const syn = blocks.find((b) => b.kind === 'packet' && !b.tag) as Extract<SynthBlock, { kind: 'packet' }>;
  syn.spec.socketId = '0000000000000bad';
  const v = await verdict('tcp-loopback-v4', blocks);
  t.equal(v.control.wrong, 1);
  failsWith(t, v, /outgoing TCP \[S\] packet .* attributed to socket 0000000000000bad/);
  delete syn.spec.socketId;
  delete syn.spec.holders;
  failsWith(t, await verdict('tcp-loopback-v4', blocks), /outgoing TCP \[S\] packet .* has no socket but is labelled holder, expected none/);
  syn.spec.attribution = 'none';
  const v2 = await verdict('tcp-loopback-v4', blocks);
  t.equal(v2.status, 'pass');
  t.equal(v2.unmatched, 1, 'the unattributed scenario packet is counted');
});

t.test('captured events that match nothing are counted', async (t) => {
  const blocks = ideal('udp-any-v4');
  const fork = blocks.find((b) => b.kind === 'process' && b.spec.event === 'fork') as Extract<SynthBlock, { kind: 'process' }>;
  blocks.push({ kind: 'process', spec: { event: 'exec', pid: fork.spec.pid, exe: '/bin/true', argv: ['true'] } });
  blocks.push({ kind: 'connection', spec: { event: 'open', socketId: '0000000000abcdef', pid: fork.spec.pid, family: 2, type: 2, protocol: 17 } });
  const v = await verdict('udp-any-v4', blocks);
  t.equal(v.unmatched, 2);
  t.ok(v.notes.some((n) => /unmatched exec event/.test(n)));
});

t.test('degenerate inputs never pass', async (t) => {
  const truth = truths.get('tcp-loopback-v4')!;
  const s = await scenario('tcp-loopback-v4');
  const empty = checkScenario({ scenario: s, truth, capture: { blocks: [] } });
  t.equal(empty.status, 'fail', 'empty capture');
  t.ok(empty.packets.missing > 0 && empty.events.missing > 0);
  const headerOnly = await verdict('tcp-loopback-v4', []);
  t.equal(headerOnly.status, 'fail', 'header-only capture');
  const failedRun = checkScenario({ scenario: s, truth: { ...truth, ok: false, error: 'step 6 (client connect): Connection refused' }, capture: readPcapng(writeBlocks(ideal('tcp-loopback-v4'))) });
  t.equal(failedRun.status, 'fail', 'a runner failure is never a pass');
  t.match(failedRun.mismatches[0], /runner did not complete the scenario: step 6/);
  const gapFailedRun = checkScenario({ scenario: { ...s, knownGap: 'x' }, truth: { ...truth, ok: false }, capture: { blocks: [] } });
  t.equal(gapFailedRun.status, 'fail', 'a runner failure is not hidden as TODO');
  const nothing = checkScenario({ scenario: s, truth: { ...truth, steps: truth.steps.filter((x) => x.kind === 'sleep') }, capture: readPcapng(writeBlocks([])) });
  t.equal(nothing.status, 'fail', 'nothing to judge');
  const wrongScenario = checkScenario({ scenario: { ...s, name: 'other' }, truth, capture: readPcapng(writeBlocks(ideal('tcp-loopback-v4'))) });
  t.equal(wrongScenario.status, 'fail', 'truth of another scenario');
});

t.test('parseTruth rejects what is not a truth file', async (t) => {
  t.throws(() => parseTruth('{"version":1,'), /not valid JSON/);
  t.throws(() => parseTruth('{"version":2}'), /version is 2/);
  t.throws(() => parseTruth('{"version":1,"scenario":"x","runId":"1","ok":true,"steps":[{"step":0}]}'), /steps\[0\] lacks/);
});

// ---- the attribution rules of Hone 26.11 (kmod/FORMAT.md, RULES.md) ----

type PacketB = Extract<SynthBlock, { kind: 'packet' }>;
type UseB = Extract<SynthBlock, { kind: 'use' }>;
const uses = (blocks: SynthBlock[], what: 'read' | 'gain' | 'lose') => blocks.filter((b): b is UseB => b.kind === 'use' && b.spec.what === what);
const truthStep = (name: string, pred: (s: Truth['steps'][number]) => boolean) => {
  const st = truths.get(name)!.steps.find(pred);
  if (!st) throw new Error(`no such step in ${name}`);
  return st;
};

t.test('outgoing: a wrong sending thread fails', async (t) => {
  const blocks = ideal('two-threads-one-socket');
  const t1 = truthStep('two-threads-one-socket', (s) => s.kind === 'send' && s.actor === 't1');
  const p = blocks.find((b): b is PacketB => b.kind === 'packet' && b.role === 'sender' && b.tag === t1.tag)!;
  p.spec.tid = t1.pid;
  const v = await verdict('two-threads-one-socket', blocks, { gap: false });
  t.equal(v.status, 'fail');
  failsWith(t, v, /outgoing packet with tag \S+ sent by pid \d+ \(worker\) tid \d+ \(t1\) attributed to thread \d+ \(worker\) \(by sender\)/);
});

t.test('outgoing: the sender run (option 263) holding the tag must be the sending thread', async (t) => {
  const name = 'cork-released-by-later-write';
  const parent = truthStep(name, (s) => s.kind === 'send' && s.actor === 'parent');
  const child = truthStep(name, (s) => s.kind === 'send' && s.actor === 'child');
  const good = ideal(name);
  const seg = good.find((b): b is PacketB => b.kind === 'packet' && b.role === 'sender')!;
  t.same(seg.spec.senders, [{ offset: 0, pid: parent.pid, tid: parent.tid }, { offset: 40, pid: child.pid, tid: child.tid }], 'one segment with both runs');
  t.equal(seg.spec.pid, parent.pid, '258 names the first byte\'s thread');
  t.equal((await verdict(name, good)).status, 'pass');

  const oneRun = ideal(name);
  const s1 = oneRun.find((b): b is PacketB => b.kind === 'packet' && b.role === 'sender')!;
  delete s1.spec.senders; // "whoever was running": the whole segment to the first byte's thread
  failsWith(t, await verdict(name, oneRun, { gap: false }), new RegExp(`outgoing packet with tag ${child.tag!.replace(/[<>]/g, '.')} sent by pid ${child.pid} \\(child\\) attributed to pid ${parent.pid} \\(parent\\), the socket's creator \\(by sender\\)`));

  const wrongRun = ideal(name);
  const s2 = wrongRun.find((b): b is PacketB => b.kind === 'packet' && b.role === 'sender')!;
  s2.spec.senders = [{ offset: 0, pid: parent.pid, tid: parent.tid }, { offset: 41, pid: child.pid, tid: child.tid }];
  failsWith(t, await verdict(name, wrongRun, { gap: false }), /sent by pid \d+ \(child\) attributed to pid \d+ \(parent\).* in the sender run at payload offset 0 \(option 263\)/);

  const swapped = ideal(name);
  const s3 = swapped.find((b): b is PacketB => b.kind === 'packet' && b.role === 'sender')!;
  s3.spec.senders = [{ offset: 0, pid: child.pid, tid: child.tid }, { offset: 40, pid: parent.pid, tid: parent.tid }];
  const v = await verdict(name, swapped, { gap: false });
  failsWith(t, v, /sent by pid \d+ \(parent\) attributed to pid \d+ \(child\) \(by sender\) in the sender run at payload offset 0/);
  failsWith(t, v, /sent by pid \d+ \(child\) attributed to pid \d+ \(parent\).* in the sender run at payload offset 40/);
});

t.test('outgoing and incoming: the wrong label fails', async (t) => {
  const out = ideal('tcp-loopback-v4');
  firstTaggedPacket(out, 'sender').spec.attribution = 'holder';
  failsWith(t, await verdict('tcp-loopback-v4', out), /outgoing packet with tag \S+ sent by pid \d+ \(client\) is labelled holder, expected sender/);

  const inn = ideal('tcp-loopback-v4');
  firstTaggedPacket(inn, 'reader').spec.attribution = 'creator';
  failsWith(t, await verdict('tcp-loopback-v4', inn), /incoming packet with tag \S+ read by pid \d+ \(server\) is labelled creator, expected reader/);

  // an inbound packet may name no process, or the reader; anyone else is wrong
  const named = ideal('reply-read-by-forked-worker');
  const worker = truthStep('reply-read-by-forked-worker', (s) => s.kind === 'recv' && s.actor === 'worker');
  const reply = named.find((b): b is PacketB => b.kind === 'packet' && b.role === 'reader' && b.tag === worker.tags![0])!;
  reply.spec.pid = worker.pid;
  reply.spec.tid = worker.tid;
  t.equal((await verdict('reply-read-by-forked-worker', named)).status, 'pass', 'the reader\'s own pid is allowed');
  const client = truthStep('reply-read-by-forked-worker', (s) => s.kind === 'socket' && s.actor === 'client');
  reply.spec.pid = client.pid;
  reply.spec.tid = client.tid;
  failsWith(t, await verdict('reply-read-by-forked-worker', named, { gap: false }), /incoming packet with tag \S+ read by pid \d+ \(worker\) attributed to pid \d+ \(client\), the socket's creator \(by reader\)/);
});

t.test('incoming: the read block covering the tag must name the reading thread', async (t) => {
  const name = 'reply-read-by-forked-worker';
  const worker = truthStep(name, (s) => s.kind === 'recv' && s.actor === 'worker');
  const client = truthStep(name, (s) => s.kind === 'socket' && s.actor === 'client');
  const blocks = ideal(name);
  const read = uses(blocks, 'read').find((b) => b.spec.pid === worker.pid)!;
  read.spec.pid = client.pid;
  read.spec.tid = client.tid;
  failsWith(t, await verdict(name, blocks, { gap: false }), /incoming packet with tag \S+ read by pid \d+ \(worker\): the read block at offset \d+ that covers it names pid \d+ \(client\)/);

  const threads = ideal('two-threads-one-socket');
  const t2 = truthStep('two-threads-one-socket', (s) => s.kind === 'recv' && s.tid !== s.pid);
  const r2 = uses(threads, 'read').find((b) => b.spec.tid === t2.tid)!;
  r2.spec.tid = t2.pid;
  const v = await verdict('two-threads-one-socket', threads, { gap: false });
  failsWith(t, v, /read by pid \d+ \(worker\) tid \d+ \(t\d\): the read block at offset \d+ that covers it names thread \d+ \(worker\)/);
  failsWith(t, v, /read block of pid \d+ \(worker\) tid \d+ \(t\d\) on socket .*: thread \d+ \(worker\), expected \d+ \(t\d\)/);
});

t.test('incoming: no read block covering the tag fails (TCP by sequence number, datagrams by packet id)', async (t) => {
  const blocks = ideal('tcp-loopback-v4');
  const server = truthStep('tcp-loopback-v4', (s) => s.kind === 'recv' && s.actor === 'server');
  blocks.splice(blocks.indexOf(uses(blocks, 'read').find((b) => b.spec.pid === server.pid)!), 1);
  const v = await verdict('tcp-loopback-v4', blocks);
  t.equal(v.status, 'fail');
  failsWith(t, v, /incoming packet with tag \S+ read by pid \d+ \(server\): no read block covers TCP sequence number \d+ on socket \w+ after the packet/);
  failsWith(t, v, /missing read block of pid \d+ \(server\) on socket \w+ \(inet stream proto 6 accepted\) for 64 bytes/);

  // a read block that covers other bytes is no cover
  const shifted = ideal('tcp-loopback-v4');
  const r = uses(shifted, 'read').find((b) => b.spec.pid === server.pid)!;
  r.spec.seq = { first: (r.spec.seq!.first + 64) >>> 0, end: (r.spec.seq!.end + 64) >>> 0 };
  failsWith(t, await verdict('tcp-loopback-v4', shifted), /no read block covers TCP sequence number/);

  // a read block before the packet is no cover either
  const early = ideal('tcp-loopback-v4');
  const r3 = uses(early, 'read').find((b) => b.spec.pid === server.pid)!;
  early.splice(early.indexOf(r3), 1);
  early.splice(early.indexOf(firstTaggedPacket(early, 'reader')), 0, r3);
  const ve = await verdict('tcp-loopback-v4', early);
  t.equal(ve.packets.wrong, 1);
  failsWith(t, ve, /read by pid \d+ \(server\): no read block covers it after the packet \(offset \d+\); the read block at offset \d+ before it does/);

  // a retransmission of bytes already read is not judged when the first copy was
  const retrans = ideal('tcp-loopback-v4');
  const firstCopy = firstTaggedPacket(retrans, 'reader');
  const r4 = uses(retrans, 'read').find((b) => b.spec.pid === server.pid)!;
  retrans.splice(retrans.indexOf(r4) + 1, 0, { ...firstCopy, spec: { ...firstCopy.spec, packetId: 999n } });
  const vr = await verdict('tcp-loopback-v4', retrans);
  t.equal(vr.status, 'pass', 'the duplicate after the read is not held against the sensor');

  const udp = ideal('udp-shared-two-receivers');
  const child = truthStep('udp-shared-two-receivers', (s) => s.kind === 'recvfrom' && s.actor === 'child');
  delete uses(udp, 'read').find((b) => b.spec.pid === child.pid)!.spec.readPacketId;
  failsWith(t, await verdict('udp-shared-two-receivers', udp), /incoming packet with tag \S+ read by pid \d+ \(child\): no read block covers packet id \d+/);

  const noId = ideal('udp-shared-two-receivers');
  for (const b of noId) if (b.kind === 'packet') delete b.spec.packetId;
  failsWith(t, await verdict('udp-shared-two-receivers', noId), /no read block covers it \(the packet has no packet id, EPB option 261\)/);
});

t.test('the TCP sequence numbers of the synthetic captures wrap at 2^32 and still pass', async (t) => {
  const blocks = ideal('fork-shared-turns');
  const reads = uses(blocks, 'read').filter((b) => b.spec.seq);
  t.ok(reads.some((b) => b.spec.seq!.end < b.spec.seq!.first), 'one read straddles 2^32');
  t.equal((await verdict('fork-shared-turns', blocks)).status, 'pass');
});

t.test('control packets: labelled holder (none once closed), no process, holders that held the socket', async (t) => {
  const name = 'kernel-sent-ack-rst';
  const syn = () => {
    const blocks = ideal(name);
    const b = blocks.find((x): x is PacketB => x.kind === 'packet' && !x.tag && x.role === undefined)!;
    return { blocks, b };
  };
  const client = truthStep(name, (s) => s.kind === 'socket' && s.actor === 'client');
  const server = truthStep(name, (s) => s.kind === 'socket' && s.actor === 'server');
  {
    const { blocks, b } = syn();
    t.same(b.spec.holders, [client.pid], 'the SYN lists the connecting process');
    b.spec.attribution = 'sender';
    b.spec.pid = client.pid;
    b.spec.tid = client.tid;
    failsWith(t, await verdict(name, blocks), /outgoing TCP \[S\] packet \S+ -> \S+ at offset \d+ on socket \w+ is labelled sender, expected holder: no process wrote it/);
  }
  for (const label of ['creator', 'reader', 'none'] as const) {
    const { blocks, b } = syn();
    b.spec.attribution = label;
    const v = await verdict(name, blocks);
    t.ok(v.control.wrong > 0, `labelled ${label}: counted wrong`);
    failsWith(t, v, new RegExp(`is labelled ${label}, expected holder: no process wrote it`));
  }
  {
    const { blocks, b } = syn();
    b.spec.pid = client.pid;
    failsWith(t, await verdict(name, blocks), /on socket \w+ names pid \d+ \(client\) \(EPB option 258\/8\), but a packet no process wrote names none/);
  }
  {
    const { blocks, b } = syn();
    b.spec.holders = [client.pid, server.pid];
    failsWith(t, await verdict(name, blocks), /on socket \w+ lists holder pid \d+ \(server\) \(option 264\), which never held it/);
  }
  {
    // after its close block, a socket's packets (TIME_WAIT) may be labelled none
    const blocks = ideal('tcp-loopback-v4');
    const close = blocks.findIndex((b) => b.kind === 'connection' && b.spec.event === 'close');
    const id = (blocks[close] as Extract<SynthBlock, { kind: 'connection' }>).spec.socketId;
    const so = [...truths.get('tcp-loopback-v4')!.steps].reverse().find((s) => s.socket?.cookie === id)!.socket!;
    const ack = (): PacketB => ({ kind: 'packet', spec: { direction: 'out', data: ipPacket(so.local!, so.remote!, 6, Buffer.alloc(0), 0x10), socketId: id, attribution: 'none' } });
    blocks.splice(close + 1, 0, ack());
    t.equal((await verdict('tcp-loopback-v4', blocks)).status, 'pass', 'after the close: none is right');
    blocks.splice(close, 0, ack());
    failsWith(t, await verdict('tcp-loopback-v4', blocks), /outgoing TCP \[\.\] packet .* is labelled none, expected holder: no process wrote it/);
  }
});

t.test('control packets: the holder list is exactly the holders by the capture\'s open, gain and lose blocks at that point', async (t) => {
  // fork-shared-turns: parent makes socket c, forks child (gain), child closes c (lose), then parent (lose)
  const name = 'fork-shared-turns';
  const parent = truthStep(name, (s) => s.kind === 'socket' && s.actor === 'parent');
  const child = truthStep(name, (s) => s.kind === 'fork' && s.actor === 'parent').childPid!;
  const so = [...truths.get(name)!.steps].reverse().find((s) => s.actor === 'parent' && s.socket?.cookie === parent.socket!.cookie && s.socket.remote)!.socket!;
  const c = so.cookie;
  const ack = (holders?: number[]): PacketB => ({
    kind: 'packet',
    spec: { direction: 'out', data: ipPacket(so.local!, so.remote!, 6, Buffer.alloc(0), 0x10), socketId: c, attribution: 'holder', ...(holders ? { holders } : {}) },
  });
  const find = (blocks: SynthBlock[], what: 'gain' | 'lose', pid: number) => blocks.findIndex((b) => b.kind === 'use' && b.spec.what === what && b.spec.socketId === c && b.spec.pid === pid);
  /** Inserts the ACKs right after block `at` (so the one before them stays the neighbour of the first). */
  const withAcks = async (at: (blocks: SynthBlock[]) => number, ...acks: PacketB[]) => {
    const blocks = ideal(name);
    blocks.splice(at(blocks) + 1, 0, ...acks);
    return verdict(name, blocks);
  };
  const raceNote = /lists the holders from (before|after) the (gain|lose|open) block of pid \d+ \((parent|child)\)/;
  // after the gain, with the parent's first data segment between: no race possible
  const afterGain = (blocks: SynthBlock[]) => find(blocks, 'gain', child) + 1;
  for (const holders of [[parent.pid, child], [child, parent.pid]]) {
    const v = await withAcks(afterGain, ack(holders));
    t.equal(v.status, 'pass', `after the gain: ${holders.join(', ')} (any order) is right`) || t.comment(v.mismatches.join('\n'));
    t.equal(v.control.correct, v.control.total);
    t.notOk(v.notes.some((n) => raceNote.test(n)), 'no race involved');
  }
  {
    // stale: the fork's gain is not in the list
    const v = await withAcks(afterGain, ack([parent.pid]));
    failsWith(t, v, /outgoing TCP \[\.\] packet .* on socket \w+ lists holders pid \d+ \(parent\) \(option 264\), but the capture's open, gain and lose blocks before it make the holders pid \d+ \(parent\), pid \d+ \(child\): missing pid \d+ \(child\)/);
    t.equal(v.control.wrong, 1, 'counted as a wrong control packet');
  }
  {
    // stale: the child lost it (its lose block) and is still listed; the first ACK after the lose is right
    const afterLose = (blocks: SynthBlock[]) => find(blocks, 'lose', child);
    t.equal((await withAcks(afterLose, ack([parent.pid]), ack([parent.pid]))).status, 'pass', 'after the lose: the parent alone is right');
    failsWith(t, await withAcks(afterLose, ack([parent.pid]), ack([parent.pid, child])), /lists holders pid \d+ \(parent\), pid \d+ \(child\) \(option 264\), but the capture's open, gain and lose blocks before it make the holders pid \d+ \(parent\): extra pid \d+ \(child\)/);
  }
  {
    // after the last lose nobody holds it: option 264 absent is the empty list, a listed pid is extra
    const afterLast = (blocks: SynthBlock[]) => find(blocks, 'lose', parent.pid);
    t.equal((await withAcks(afterLast, ack(), ack())).status, 'pass', 'no option 264 after the last lose');
    failsWith(t, await withAcks(afterLast, ack(), ack([parent.pid])), /lists holders pid \d+ \(parent\) \(option 264\), but .* make the holders nobody: extra pid \d+ \(parent\)/);
    failsWith(t, await withAcks(afterGain, ack()), /lists holders nobody \(option 264\), but .* make the holders pid \d+ \(parent\), pid \d+ \(child\): missing pid \d+ \(parent\), pid \d+ \(child\)/);
  }
  {
    // the race of kmod: the hook copied the new list just before the gain block was queued, or the old one just before the lose
    const beforeGain = (blocks: SynthBlock[]) => find(blocks, 'gain', child) - 1;
    const early = await withAcks(beforeGain, ack([parent.pid, child]));
    t.equal(early.status, 'pass', 'next to the gain block: the list after it is accepted') || t.comment(early.mismatches.join('\n'));
    t.ok(early.notes.some((n) => /lists the holders from after the gain block of pid \d+ \(child\) at offset \d+ that follows it/.test(n)), 'and noted');
    t.equal((await withAcks(beforeGain, ack([parent.pid]))).status, 'pass', 'the list before it is right too');
    const late = await withAcks((blocks) => find(blocks, 'lose', child), ack([parent.pid, child]));
    t.equal(late.status, 'pass', 'right after the lose block: the list before it is accepted') || t.comment(late.mismatches.join('\n'));
    t.ok(late.notes.some((n) => /lists the holders from before the lose block of pid \d+ \(child\) at offset \d+ that precedes it/.test(n)), 'and noted');
    // one socket block further away it is stale: the first of two ACKs before the gain, the second of two after the lose
    failsWith(t, await withAcks((blocks) => find(blocks, 'gain', child) - 1, ack([parent.pid, child]), ack([parent.pid, child])), /lists holders pid \d+ \(parent\), pid \d+ \(child\) \(option 264\), but .* make the holders pid \d+ \(parent\): extra pid \d+ \(child\)/);
    failsWith(t, await withAcks((blocks) => find(blocks, 'lose', child), ack([parent.pid]), ack([parent.pid, child])), /extra pid \d+ \(child\)/);
    // a set from neither side of the adjacent block is not accepted
    failsWith(t, await withAcks(beforeGain, ack([child])), /lists holders pid \d+ \(child\) \(option 264\), but .* make the holders pid \d+ \(parent\): missing pid \d+ \(parent\); extra pid \d+ \(child\)/);
  }
});

t.test('expected RST: a socket closed with unread data must send one, labelled holder or none', async (t) => {
  const name = 'kernel-sent-ack-rst';
  const rst = (blocks: SynthBlock[]) => blocks.find((b): b is PacketB => b.kind === 'packet' && b.role === 'rst' && b.spec.direction === 'out')!;
  const good = ideal(name);
  t.equal((await verdict(name, good)).status, 'pass');
  rst(good).spec.attribution = 'none';
  t.equal((await verdict(name, good)).status, 'pass', 'none is accepted for the RST');
  const missing = ideal(name);
  missing.splice(missing.indexOf(rst(missing)), 1);
  const v = await verdict(name, missing);
  t.equal(v.status, 'fail');
  t.equal(v.events.missing, 1);
  failsWith(t, v, /missing RST from socket \w+ 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+, closed with 72 bytes the peer sent unread \(step \d+\)/);
  const labelled = ideal(name);
  const r = rst(labelled);
  r.spec.attribution = 'sender';
  const client = truthStep(name, (s) => s.kind === 'close' && s.actor === 'client');
  r.spec.pid = client.pid;
  r.spec.tid = client.tid;
  failsWith(t, await verdict(name, labelled), /RST from socket .*: the RST at offset \d+ is labelled sender, expected holder or none/);
  // no RST is expected when every byte was read
  t.notOk(ideal('tcp-loopback-v4').some((b) => b.kind === 'packet' && b.role === 'rst'));
});

t.test('gain and lose blocks: missing, wrong way, wrong thread', async (t) => {
  const name = 'accepted-socket-to-child';
  const handler = truthStep(name, (s) => s.kind === 'fork' && s.child === 'handler');
  {
    const blocks = ideal(name);
    blocks.splice(blocks.indexOf(uses(blocks, 'gain')[0]!), 1);
    const v = await verdict(name, blocks);
    t.equal(v.status, 'fail');
    failsWith(t, v, new RegExp(`missing gain \\(via fork\\) of socket \\w+ \\(inet stream proto 6( accepted)?\\) by pid ${handler.childPid} \\(handler\\)`));
  }
  {
    const blocks = ideal(name);
    blocks.splice(blocks.indexOf(uses(blocks, 'lose')[0]!), 1);
    failsWith(t, await verdict(name, blocks), /missing lose \(via close\) of socket \w+ \(inet stream proto 6 accepted\) by pid \d+ \(server\)/);
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
    // recvfd: gain via recv
    const blocks = ideal('scm-rights-passed');
    const g = uses(blocks, 'gain');
    t.same(g.map((b) => b.spec.via), ['recv'], 'SCM_RIGHTS: one gain, via recv (the in-flight descriptor is held by nobody)');
    blocks.splice(blocks.indexOf(g[0]!), 1);
    failsWith(t, await verdict('scm-rights-passed', blocks, { gap: false }), /missing gain \(via recv\) of socket \w+ .* by pid \d+ \(receiver\)/);
  }
  {
    // exit holding a socket: lose via exit, by a thread of the process
    const blocks = ideal('short-lived-sender');
    const l = uses(blocks, 'lose').find((b) => b.spec.via === 'exit')!;
    t.ok(l, 'the short-lived sender loses its socket by exiting');
    l.spec.tid = 1;
    failsWith(t, await verdict('short-lived-sender', blocks), /lose \(via exit\) of socket .*: thread 1, which is not a thread of pid \d+ \(burst\)/);
  }
  {
    // a gain before the socket's open is out of causal order
    const blocks = ideal(name);
    const g = uses(blocks, 'gain')[0]!;
    blocks.splice(blocks.indexOf(g), 1);
    const open = blocks.findIndex((b) => b.kind === 'connection' && b.spec.event === 'open' && b.spec.socketId === g.spec.socketId);
    blocks.splice(open, 0, g);
    failsWith(t, await verdict(name, blocks), /gain \(via fork\) of socket .*: out of causal order: it comes before the open of socket/);
  }
});

t.test('gain and read blocks naming a scenario process that never held the socket are wrong', async (t) => {
  const name = 'accepted-socket-to-child';
  const client = truthStep(name, (s) => s.kind === 'socket' && s.actor === 'client');
  const conn = truthStep(name, (s) => s.kind === 'accept').socket!;
  for (const what of ['gain', 'read'] as const) {
    const blocks = ideal(name);
    const extra: UseB = what === 'gain'
      ? { kind: 'use', spec: { what, socketId: conn.cookie, pid: client.pid, tid: client.tid, via: 'fork' } }
      : { kind: 'use', spec: { what, socketId: conn.cookie, pid: client.pid, tid: client.tid, seq: { first: 1, end: 2 }, bytes: 1 } };
    blocks.splice(blocks.length - 1, 0, extra);
    const v = await verdict(name, blocks);
    t.equal(v.status, 'fail', `extra ${what}`);
    t.equal(v.events.wrong, 1, 'counted as a wrong event');
    failsWith(t, v, new RegExp(`${what} block at offset \\d+ names pid ${client.pid} \\(client\\) for socket ${conn.cookie} \\(inet stream proto 6 accepted\\), which that process never held`));
  }
  // a second read by a holder is normal (a recv step can take several read calls)
  const blocks = ideal(name);
  const r = uses(blocks, 'read')[0]!;
  blocks.splice(blocks.indexOf(r) + 1, 0, { kind: 'use', spec: { ...r.spec } });
  const v = await verdict(name, blocks);
  t.equal(v.status, 'pass');
});

// ---- start times: one process instance, one start time (process 259, EPB 262, use block 259) ----

type ProcB = Extract<SynthBlock, { kind: 'process' }>;

t.test('start times: an ideal capture carries them, one per process, and passes', async (t) => {
  const name = 'two-threads-one-socket';
  const blocks = ideal(name);
  const worker = truthStep(name, (s) => s.kind === 'fork' && s.child === 'worker').childPid!;
  const given = new Set<bigint | undefined>();
  for (const b of blocks) {
    if ((b.kind === 'process' || b.kind === 'use' || (b.kind === 'packet' && b.role === 'sender')) && b.spec.pid === worker) given.add(b.spec.startNs);
  }
  t.equal(given.size, 1, 'fork, exit, sender packets, read and lose blocks of the worker: one start time');
  t.notOk(given.has(undefined), 'all carry it');
  t.equal((await verdict(name, blocks)).status, 'pass');

  // a capture without start times (options absent) is not failed for that
  const none = ideal(name);
  for (const b of none) if (b.kind === 'process' || b.kind === 'use' || b.kind === 'packet') delete b.spec.startNs;
  t.equal((await verdict(name, none)).status, 'pass', 'no start times at all');
  const some = ideal(name);
  for (const b of some) if (b.kind === 'packet') delete b.spec.startNs;
  t.equal((await verdict(name, some)).status, 'pass', 'process and use blocks with them, packets without');
});

t.test('start times: an EXIT written by another thread with that thread\'s start fails', async (t) => {
  // the sensor bug of cdae23f: the exiting thread's start instead of the process's
  const name = 'two-threads-one-socket';
  const worker = truthStep(name, (s) => s.kind === 'fork' && s.child === 'worker').childPid!;
  const t2 = truthStep(name, (s) => s.kind === 'thread' && s.thread === 't2');
  const blocks = ideal(name);
  const fork = blocks.find((b): b is ProcB => b.kind === 'process' && b.spec.event === 'fork' && b.spec.pid === worker)!;
  const exit = blocks.find((b): b is ProcB => b.kind === 'process' && b.spec.event === 'exit' && b.spec.pid === worker)!;
  exit.spec.tid = t2.threadTid!;
  t.equal((await verdict(name, blocks)).status, 'pass', 'an EXIT written by thread t2 with the process\'s start time is right');
  const wrongStart = BigInt(t2.monoNs) + 50_000n;
  exit.spec.startNs = wrongStart;
  const v = await verdict(name, blocks, { gap: false });
  t.equal(v.status, 'fail');
  t.equal(v.events.wrong, 1, 'the exit is the wrong event');
  failsWith(t, v, new RegExp(
    `exit \\(code 0\\) of pid ${worker} \\(worker\\) \\(step \\d+\\): start time ${wrongStart} for pid ${worker} \\(worker\\) \\(option 259, written for thread ${t2.threadTid} \\(t2\\)\\), ` +
    `but its fork block at offset \\d+ says ${fork.spec.startNs}: a different process instance`,
  ));
});

t.test('start times: a sender packet or a read block with another start time fails', async (t) => {
  const name = 'fork-child-sends';
  const child = truthStep(name, (s) => s.kind === 'fork' && s.child === 'child').childPid!;
  {
    const blocks = ideal(name);
    const p = blocks.find((b): b is PacketB => b.kind === 'packet' && b.role === 'sender' && b.spec.pid === child)!;
    const right = p.spec.startNs!;
    p.spec.startNs = right + 1n;
    const v = await verdict(name, blocks, { gap: false });
    t.equal(v.status, 'fail', 'sender packet');
    t.equal(v.packets.wrong, 1, 'the packet is the wrong one');
    failsWith(t, v, new RegExp(`outgoing packet with tag \\S+ at offset \\d+: start time ${right + 1n} for pid ${child} \\(child\\) \\(EPB option 262\\), but its fork block at offset \\d+ says ${right}: a different process instance`));
  }
  {
    const name2 = 'reply-read-by-forked-worker';
    const worker = truthStep(name2, (s) => s.kind === 'recv' && s.actor === 'worker');
    const blocks = ideal(name2);
    const r = uses(blocks, 'read').find((b) => b.spec.pid === worker.pid)!;
    const right = r.spec.startNs!;
    r.spec.startNs = 5n;
    const v = await verdict(name2, blocks, { gap: false });
    t.equal(v.status, 'fail', 'read block');
    t.equal(v.events.wrong, 1, 'the read event is wrong');
    failsWith(t, v, new RegExp(`read block of pid ${worker.pid} \\(worker\\) on socket .*: start time 5 for pid ${worker.pid} \\(worker\\) \\(option 259\\), but its fork block at offset \\d+ says ${right}: a different process instance`));
  }
  {
    // an extra read block (a recv step may take several reads) is judged too
    const name3 = 'accepted-socket-to-child';
    const blocks = ideal(name3);
    const r = uses(blocks, 'read')[0]!;
    blocks.splice(blocks.indexOf(r) + 1, 0, { kind: 'use', spec: { ...r.spec, startNs: r.spec.startNs! + 7n } });
    const v = await verdict(name3, blocks);
    t.equal(v.status, 'fail', 'extra read block');
    failsWith(t, v, new RegExp(`read block at offset \\d+: start time ${r.spec.startNs! + 7n} for pid ${r.spec.pid} .*: a different process instance`));
  }
  {
    // a lose by exit comes after the EXIT block: it still belongs to the process that exited
    const blocks = ideal('short-lived-sender');
    const l = uses(blocks, 'lose').find((b) => b.spec.via === 'exit')!;
    const exitAt = blocks.findIndex((b) => b.kind === 'process' && b.spec.event === 'exit' && b.spec.pid === l.spec.pid);
    t.ok(exitAt >= 0 && exitAt < blocks.indexOf(l), 'the lose block follows the EXIT block');
    l.spec.startNs = l.spec.startNs! + 1n;
    failsWith(t, await verdict('short-lived-sender', blocks), /lose \(via exit\) of socket .*: start time \d+ for pid \d+ \(burst\) .*: a different process instance/);
  }
});

t.test('start times: a new fork block of the pid starts a new instance', async (t) => {
  // pid reuse: after the exit, another process gets the pid; its fork block carries its own start time
  const name = 'fork-child-sends';
  const child = truthStep(name, (s) => s.kind === 'fork' && s.child === 'child').childPid!;
  const blocks = ideal(name);
  const fork = blocks.find((b): b is ProcB => b.kind === 'process' && b.spec.event === 'fork' && b.spec.pid === child)!;
  const later = fork.spec.startNs! + 9_000_000_000n;
  const again: SynthBlock[] = [
    { kind: 'process', spec: { ...fork.spec, startNs: later } },
    { kind: 'process', spec: { event: 'exit', pid: child, ppid: fork.spec.ppid, exitStatus: 0, startNs: later } },
  ];
  blocks.splice(blocks.length - 1, 0, ...again);
  const v = await verdict(name, blocks);
  t.equal(v.status, 'pass', 'the second instance has its own start time') || t.comment(v.mismatches.join('\n'));
  t.equal(v.unmatched, 2, 'its blocks are unmatched, not wrong');
  (again[1] as ProcB).spec.startNs = fork.spec.startNs!;
  failsWith(t, await verdict(name, blocks), new RegExp(`exit block at offset \\d+: start time ${fork.spec.startNs} for pid ${child} \\(child\\) \\(option 259\\), but its fork block at offset \\d+ says ${later}`));
});

// ---- dup and close-on-exec (dup-and-close-on-exec) ----

t.test('dup and close-on-exec: the ideal capture has the child\'s close-on-exec lose and no lose for closing one of two dups', async (t) => {
  const name = 'dup-and-close-on-exec';
  const blocks = ideal(name);
  const e = truthStep(name, (s) => s.kind === 'socket' && s.sock === 'e');
  const c = truthStep(name, (s) => s.kind === 'socket' && s.sock === 'c');
  const childPid = truthStep(name, (s) => s.kind === 'fork' && s.child === 'child').childPid!;
  const loses = uses(blocks, 'lose');
  t.same(loses.filter((b) => b.spec.socketId === e.socket!.cookie).map((b) => [b.spec.pid, b.spec.via]), [[childPid, 'close'], [c.pid, 'close']], 'e: the child by its exec, the client by its close');
  t.same(loses.filter((b) => b.spec.socketId === c.socket!.cookie).map((b) => [b.spec.pid, b.spec.via]), [[childPid, 'close'], [c.pid, 'close']], 'c: one lose per process, at its last descriptor');
  t.equal((await verdict(name, blocks)).status, 'pass');
});

t.test('dup and close-on-exec: a capture missing the child\'s close-on-exec lose fails', async (t) => {
  const name = 'dup-and-close-on-exec';
  const blocks = ideal(name);
  const e = truthStep(name, (s) => s.kind === 'socket' && s.sock === 'e');
  const childPid = truthStep(name, (s) => s.kind === 'fork' && s.child === 'child').childPid!;
  const i = blocks.findIndex((b) => b.kind === 'use' && b.spec.what === 'lose' && b.spec.pid === childPid && b.spec.socketId === e.socket!.cookie);
  t.ok(i >= 0, 'the ideal capture has it');
  blocks.splice(i, 1);
  const v = await verdict(name, blocks);
  failsWith(t, v, /^missing lose \(via close\) of socket \w+ \(inet stream proto 6\) by pid \d+ \(child\) \(step \d+\)$/);
  t.ok(v.events.missing >= 1, 'counted missing');
});

t.test('dup and close-on-exec: a lose when only one of two dup\'d descriptors was closed fails', async (t) => {
  const name = 'dup-and-close-on-exec';
  const c = truthStep(name, (s) => s.kind === 'socket' && s.sock === 'c');
  const cookie = c.socket!.cookie;
  const send = truthStep(name, (s) => s.kind === 'send' && s.actor === 'client');
  const setup = () => {
    const blocks = ideal(name);
    const last = blocks.find((b): b is UseB => b.kind === 'use' && b.spec.what === 'lose' && b.spec.pid === c.pid && b.spec.socketId === cookie)!;
    // right after `close c` (c2 still open): before the client's send on c2 leaves
    const at = blocks.findIndex((b) => b.kind === 'packet' && b.role === 'sender' && b.tag === send.tag);
    return { blocks, last, at };
  };
  {
    // an extra lose there (the real one at the last close stays)
    const { blocks, last, at } = setup();
    blocks.splice(at, 0, { kind: 'use', spec: { ...last.spec } });
    const v = await verdict(name, blocks);
    failsWith(t, v, /^lose \(via close\) of socket \w+ \(inet stream proto 6\) by pid \d+ \(client\) \(step \d+\): out of causal order: it comes before the first outgoing packet with tag <HT:\w+:\d+> \(sent on the socket by pid \d+ \(client\) at step \d+, read before step \d+\)/);
  }
  {
    // a sensor that lets go of the client at its first close: the lose there, none at the last close, and
    // holder lists that agree with it (so only the lose's place gives it away)
    const { blocks, last, at } = setup();
    blocks.splice(blocks.indexOf(last), 1);
    blocks.splice(at, 0, { kind: 'use', spec: { ...last.spec } });
    for (const b of blocks.slice(at)) {
      if (b.kind === 'packet' && b.spec.socketId === cookie && b.spec.holders) b.spec.holders = b.spec.holders.filter((p) => p !== c.pid);
    }
    const v = await verdict(name, blocks);
    failsWith(t, v, /^lose \(via close\) of socket \w+ \(inet stream proto 6\) by pid \d+ \(client\) \(step \d+\): out of causal order: it comes before the first outgoing packet/);
    t.notOk(v.mismatches.some((x) => /lists holders/.test(x)), 'the holder lists agree with the blocks') || t.comment(v.mismatches.join('\n'));
  }
});
