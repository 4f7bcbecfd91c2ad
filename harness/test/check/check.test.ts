// The checker on hand-made captures built from real runner truth files
// (fixtures/truth, recorded with `hone-runner run --no-capture` on the dev
// host): an ideal capture must pass, and every way of breaking it must fail
// with a reason that says what is wrong.
import t, { type Test } from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPcapng } from '../../capture/index.ts';
import { checkScenario, parseTruth, type Truth, type Verdict } from '../../check/index.ts';
import { loadScenario, type Scenario } from '../../scenario/index.ts';
import { synthBlocks, writeBlocks, type SynthBlock } from '../fixtures/synth.ts';

const here = dirname(fileURLToPath(import.meta.url));
const truthDir = join(here, '..', 'fixtures', 'truth');
const scenarioDir = join(here, '..', '..', '..', 'scenarios');

const truths = new Map<string, Truth>();
for (const f of readdirSync(truthDir)) {
  const truth = parseTruth(readFileSync(join(truthDir, f), 'utf8'), f);
  truths.set(truth.scenario, truth);
}

async function scenario(name: string): Promise<Scenario> {
  return loadScenario(join(scenarioDir, `${name}.ts`));
}

async function verdict(name: string, blocks: SynthBlock[], opts: { gap?: boolean; order?: 'le' | 'be' } = {}): Promise<Verdict> {
  const s = await scenario(name);
  const sc = opts.gap === false ? { ...s, knownGap: undefined } : s;
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
  t.ok(truths.size >= 14, 'truth fixtures are there');
  for (const name of truths.keys()) {
    for (const order of ['le', 'be'] as const) {
      const v = await verdict(name, ideal(name), { order });
      t.equal(v.status, 'pass', `${name} (${order})`) || t.comment(v.mismatches.join('\n'));
      t.equal(v.packets.wrong + v.packets.missing + v.events.wrong + v.events.missing, 0);
      t.ok(v.packets.total > 0 && v.events.total > 0, `${name}: something was judged`);
    }
  }
});

t.test('creator attribution: the 15.07-level scenarios pass, the hard ones are TODO with reasons', async (t) => {
  const simple = ['tcp-loopback-v4', 'tcp-loopback-v6', 'udp-any-v4', 'udp-any-v6', 'icmp-ping-v4', 'icmp-ping-v6', 'raw-socket-v4'];
  for (const name of simple) {
    const v = await verdict(name, synthBlocks(truths.get(name)!, 'creator'));
    t.equal(v.status, 'pass', name) || t.comment(v.mismatches.join('\n'));
  }
  const hard: Array<[string, RegExp]> = [
    ['fork-child-sends', /sent by pid \d+ \(child\) attributed to pid \d+ \(parent\), the socket's creator \(by creator\)/],
    ['fork-shared-turns', /sent by pid \d+ \(child\) attributed to pid \d+ \(parent\)/],
    ['exec-inherited-socket', /read by pid \d+ \(child\) attributed to pid \d+ \(parent\)/],
    ['scm-rights-passed', /sent by pid \d+ \(receiver\) attributed to pid \d+ \(owner\)/],
    ['two-threads-one-socket', /sent by pid \d+ \(worker\) tid \d+ \(t1\) attributed to thread \d+ \(worker\)/],
  ];
  for (const [name, reason] of hard) {
    const v = await verdict(name, synthBlocks(truths.get(name)!, 'creator'));
    t.equal(v.status, 'todo', `${name} is a known gap`);
    t.ok(v.knownGap, 'carries its knownGap reason');
    t.ok(v.packets.wrong > 0, 'wrong packets are counted, not hidden');
    failsWith(t, v, reason);
    const strict = await verdict(name, synthBlocks(truths.get(name)!, 'creator'), { gap: false });
    t.equal(strict.status, 'fail', `${name} without knownGap fails`);
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

t.test('a tagged packet with no socket or no process fails', async (t) => {
  const blocks = ideal('icmp-ping-v4');
  delete firstTaggedPacket(blocks, 'sender').spec.socketId;
  failsWith(t, await verdict('icmp-ping-v4', blocks), /has no socket/);
  const b2 = ideal('raw-socket-v4');
  const p = firstTaggedPacket(b2, 'reader');
  delete p.spec.pid;
  delete p.spec.tid;
  failsWith(t, await verdict('raw-socket-v4', b2), /has no process/);
});

t.test('a thread\'s packet without a thread id fails; a main thread\'s is accepted', async (t) => {
  const blocks = ideal('two-threads-one-socket');
  for (const b of blocks) if (b.kind === 'packet') b.spec.tid = 0;
  const v = await verdict('two-threads-one-socket', blocks, { gap: false });
  t.equal(v.status, 'fail');
  failsWith(t, v, /sent by pid \d+ \(worker\) tid \d+ \(t1\) has no thread id \(EPB option 8\)/);
  const simple = ideal('tcp-loopback-v4');
  for (const b of simple) if (b.kind === 'packet') b.spec.tid = 0;
  t.equal((await verdict('tcp-loopback-v4', simple)).status, 'pass');
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
  t.equal(v.status, 'todo', 'a knownGap scenario reports it as TODO');
  failsWith(t, v, /exit \(code 0\) of pid \d+ \(child\).*out of causal order: it comes before the exec/);
  t.equal((await verdict('exec-inherited-socket', blocks, { gap: false })).status, 'fail');

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
  delete syn.spec.pid;
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
