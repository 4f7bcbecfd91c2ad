// The simulator itself: deterministic for a seed, writes kmod/FORMAT.md
// (options in order, honet text agreeing with the PCAP-NG), each fault does
// what it says, and the `hone sim` command.
import t from 'tap';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ISB_OPT, parseHonet, readPcapng, type PacketBlock } from '../../capture/index.ts';
import { parseTruth } from '../../check/index.ts';
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
      t.ok(simulate({ scenario: sc(name), seed: 3, fault: f.name }).pcapng.equals(simulate({ scenario: sc(name), seed: 3, fault: f.name }).pcapng), `${name} × ${f.name}: same bytes`);
    }
  }
});

t.test('a derived truth is a valid truth.json', async (t) => {
  const r = simulate({ scenario: sc('two-threads-one-socket'), seed: 9 });
  const again = parseTruth(JSON.stringify(r.truth));
  t.equal(again.scenario, 'two-threads-one-socket');
  t.equal(again.steps.length, again.stepCount);
  t.ok(again.steps.filter((s) => s.kind === 'thread').every((s) => s.threadTid !== s.pid), 'threads have their own tids');
  const recvs = again.steps.filter((s) => s.kind === 'recv');
  t.ok(recvs.every((s) => (s.tags ?? []).length === 1), 'every recv read one tag');
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
      if (b.kind === 'packet') t.ok(inOrder(codes, [257, 258, 2, 8, 259, 260, 1]), `${name}: EPB options ${codes}`);
      if (b.kind === 'connection') t.ok(inOrder(codes, [2, 257, 258, 259, 260, 261, 262]), `${name}: connection options ${codes}`);
    }
    const packets = blocks.filter((b): b is PacketBlock => b.kind === 'packet');
    const lines = honet.filter((h) => h.kind === 'packet');
    t.equal(lines.length, packets.length, `${name}: one PAKT line per EPB`);
    lines.forEach((l, i) => {
      const p = packets[i]!;
      if (l.kind !== 'packet') return;
      t.same([l.direction, l.socketId, l.pid, l.attribution, l.length], [p.direction, p.socketId, p.pid ?? 0, p.attribution, p.packetLength], `${name}: line ${l.line}`);
    });
    t.equal(honet.filter((h) => h.kind === 'process').length, blocks.filter((b) => b.kind === 'process').length, `${name}: process lines`);
    t.equal(honet.filter((h) => h.kind === 'socket').length, blocks.filter((b) => b.kind === 'connection').length, `${name}: socket lines`);
    t.equal(honet[0]?.kind, 'head');
    t.equal(honet.at(-1)?.kind, 'tail');
    t.equal(blocks.at(-1)?.kind, 'stats', 'the ISB ends the section');
  }
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
  const swapped = readPcapng(simulate({ scenario: s, seed: 1, fault: 'swap-parent-child' }).pcapng).blocks.filter((b) => b.kind === 'process' && b.event === 'fork' && b.pid === perfect.truth.runnerPid);
  t.ok(swapped.length >= 2, 'fork blocks name the parent (the runner) as the new process');
  const creator = readPcapng(simulate({ scenario: sc('fork-child-sends'), seed: 1, fault: 'creator-only' }).pcapng).blocks;
  t.ok(creator.filter((b) => b.kind === 'packet' && b.pid !== undefined).every((b) => b.kind === 'packet' && b.attribution === 'creator'), 'creator-only: every packet with a process says creator');
  const any = readPcapng(simulate({ scenario: sc('udp-any-v6'), seed: 1, fault: 'no-any-address-inbound' }).pcapng).blocks;
  const inbound = any.filter((b) => b.kind === 'packet' && b.direction === 'in');
  t.ok(inbound.length >= 3 && inbound.every((b) => b.kind === 'packet' && b.socketId === undefined && b.pid === undefined), 'inbound to the server bound to ::, and to the client (bound to :: by its first sendto), finds no socket');
  t.ok(any.filter((b) => b.kind === 'packet' && b.direction === 'out').every((b) => b.kind === 'packet' && b.socketId !== undefined), 'outbound is untouched');
});

t.test('scenarios outside the set (dup, shutdown, sleep, an exit before capture-start): the perfect capture passes', async (t) => {
  const { scenario } = validateScenario({
    name: 'odd-steps', description: 'steps no scenario of the set combines', processes: ['a', 'b', 'c'],
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
  t.ok(existsSync(out) && existsSync(join(dir, 'c.honet.txt')) && existsSync(join(dir, 'c.truth.json')), 'pcapng, text and derived truth written');
  t.match(r.out, /check: todo/, 'the checker\'s verdict: a known gap');
  t.match(r.out, /attributed to pid \d+ \(parent\), the socket's creator/);
  const truth = parseTruth(readFileSync(join(dir, 'c.truth.json'), 'utf8'));
  const again = await run(['fork-child-sends', '--truth', join(dir, 'c.truth.json'), '--out', join(dir, 'd.pcapng')]);
  t.equal(again.code, 0);
  t.equal(judge(sc('fork-child-sends'), truth, readFileSync(join(dir, 'd.pcapng'))).status, 'pass', 'perfect capture from a given truth.json passes');
  const text = await run(['udp-any-v4']);
  t.match(text.out, /^\d+\.\d{9} HEAD \d+\.\d{9}\n/, 'without --out: the honet text');
  t.match(text.out, / PAKT I [0-9a-f]{16} \d+ UDPv4 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ \d+ tid=\d+ by=reader netns=\d+\n/);
  const list = await run(['--list-faults']);
  for (const f of FAULTS) t.match(list.out, new RegExp(`^${f.name}\\n  models: `, 'm'), f.name);
  const table = await run(['--faults-table', '--scenario', 'two-threads-one-socket', '--scenario', 'udp-any-v6']);
  t.equal(table.code, 0, 'exit 0 when every applicable fault is caught');
  t.match(table.out, /two-threads-one-socket\s+pass\s+caught\s+caught/);
  t.match(table.out, /^ok: 2 perfect captures pass/m);
  t.match(table.out, /^no scenario here catches stale-pid-reuse$/m, 'a subset says which faults it does not exercise');
  const recorded = await run(['--faults-table', '--truths', join(here, '..', 'fixtures', 'truth'), '--scenario', 'fork-child-sends', '--scenario', 'udp-any-v4']);
  t.equal(recorded.code, 0, 'the table from truths recorded by the real runner');
  t.match(recorded.out, /fork-child-sends\s+pass\s+caught/);
  const err = await run(['tcp-loopback-v4', '--fault', 'nope']).catch((e: unknown) => e);
  t.ok(err instanceof HoneError && err.code === 'E_USAGE', 'an unknown fault is a usage error');
  t.match((err as Error).message, /unknown fault "nope"/);
  await t.rejects(run(['no-such-scenario']), HoneError);
  await t.rejects(run(['--faults-table', '--scenario', 'nope']), /unknown scenario nope/);
});
