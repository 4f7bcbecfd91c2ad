// The static runner on this host, without the sensor (--no-capture): it
// must perform the scenarios with real syscalls and write a truth.json the
// checker accepts; a failing step must exit nonzero with the step named.
// Loopback sockets, forks and execs only; netns/raw/ping steps need root.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPcapng } from '../../capture/index.ts';
import { checkScenario, parseTruth, stepsOf } from '../../check/index.ts';
import { buildModel } from '../../check/_expect.ts';
import type { ExpectedEvent } from '../../check/_model.ts';
import { compileScenario, loadScenarios, type Scenario } from '../../scenario/index.ts';
import { synthBlocks, writeBlocks } from '../fixtures/synth.ts';

const runnerDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'runner');
const runner = join(runnerDir, 'hone-runner');
const hasGcc = spawnSync('gcc', ['--version']).status === 0;
const root = process.getuid?.() === 0;

t.test('the runner', { skip: hasGcc ? false : 'gcc not installed' }, async (t) => {
  execFileSync('make', ['-s', '-C', runnerDir], { stdio: 'pipe' });
  t.ok(existsSync(runner), 'make -C harness/runner builds hone-runner');
  t.match(execFileSync('file', [runner]).toString(), /statically linked/, 'the binary is static');
  const work = mkdtempSync(join(tmpdir(), 'hone-runner-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const run = (script: string, name: string, ...flags: string[]) => {
    const path = join(work, `${name}.script`);
    writeFileSync(path, script);
    const out = join(work, name);
    const r = spawnSync(runner, ['run', ...flags, path, out], { timeout: 60_000 });
    return { status: r.status, stderr: r.stderr.toString(), out };
  };

  const needsRoot = new Set([
    'netns-second-namespace',
    'raw-socket-v4',
    'icmp-ping-v4',
    'icmp-ping-v6',
    'pid-namespace',
    'veth-two-namespaces',
  ]);
  for (const s of await loadScenarios()) {
    if (needsRoot.has(s.name) && !root) continue;
    const r = run(compileScenario(s), s.name, '--no-capture');
    t.equal(r.status, 0, `${s.name}: runs (${r.stderr.trim()})`);
    const truth = parseTruth(readFileSync(join(r.out, 'truth.json'), 'utf8'));
    t.ok(truth.ok && truth.steps.length === truth.stepCount, `${s.name}: every step recorded`);
    t.notOk(existsSync(join(r.out, 'steps.jsonl')) || existsSync(join(r.out, '.hone-sync')), 'no leftovers');
    const v = checkScenario({ scenario: s, truth, capture: readPcapng(writeBlocks(synthBlocks(truth, 'ideal'))) });
    t.equal(v.status, 'pass', `${s.name}: the checker accepts an ideal capture of this run`) || t.comment(v.mismatches.join('\n'));
    if (s.name === 'exec-inherited-socket') {
      const exec = stepsOf(truth, 'exec')[0]!;
      t.equal(exec.exe, runner, 'exec re-executes the runner itself');
      t.same(exec.argv?.slice(1, 2), ['resume']);
    }
    if (s.name === 'two-threads-one-socket') {
      const sends = truth.steps.filter((x) => x.kind === 'send' && x.actor.startsWith('t'));
      t.ok(
        sends.every((x) => x.tid !== x.pid),
        'thread sends carry their own tid',
      );
      t.ok(new Set(sends.map((x) => x.tid)).size === 2, 'two distinct threads');
    }
    if (s.name === 'cork-released-by-later-write') {
      const [held, release] = stepsOf(truth, 'send');
      const read = stepsOf(truth, 'recv')[0]!;
      t.equal((held as { more?: boolean }).more, true, 'the MSG_MORE send is recorded with more: true');
      t.notOk('more' in release!, 'the releasing send has no more');
      t.not(held!.pid, release!.pid, 'two processes write into the one socket');
      t.same(read.tags, [held!.tag, release!.tag], 'the server reads both writes, in order, in one recv');
      t.equal(read.bytes, held!.bytes! + release!.bytes!);
    }
    if (s.name === 'reply-read-by-forked-worker') {
      const reader = stepsOf(truth, 'recv').at(-1)!;
      t.equal(reader.actor, 'worker');
      t.equal(
        reader.pid,
        stepsOf(truth, 'fork').find((x) => x.child === 'worker')?.childPid,
        'the worker (the forked child) reads the reply',
      );
      t.equal(reader.tags?.length, 1, 'and records the tag it read');
    }
    if (s.name === 'sendfile-splice') {
      const [request, reply] = stepsOf(truth, 'send');
      const [serverRead, parentRead] = stepsOf(truth, 'recv');
      const childPid = stepsOf(truth, 'fork').find((x) => x.child === 'child')?.childPid;
      const client = stepsOf(truth, 'socket').find((x) => x.actor === 'client')!;
      const server = stepsOf(truth, 'socket').find((x) => x.actor === 'server')!;
      t.same(
        [request!.via, serverRead!.via, reply!.via, parentRead!.via],
        ['sendfile', 'splice', 'sendfile', 'splice'],
        'truth records via on every send and recv',
      );
      t.equal(request!.actor, 'child');
      t.equal(request!.pid, childPid, 'the forked child sends the request');
      t.not(request!.pid, client.pid, "not the socket's creator");
      t.equal(request!.socket?.cookie, client.socket?.cookie, 'on the socket the parent created');
      t.equal(serverRead!.pid, server.pid, 'the server reads the request');
      t.same(serverRead!.tags, [request!.tag], "with the child's tag, read through the pipe");
      t.equal(serverRead!.bytes, request!.bytes);
      t.equal(parentRead!.actor, 'client');
      t.equal(parentRead!.pid, client.pid, 'the parent, not the child, reads the reply');
      t.same(parentRead!.tags, [reply!.tag], "with the server's tag");
      t.equal(parentRead!.bytes, reply!.bytes);
      t.equal(parentRead!.socket?.cookie, request!.socket?.cookie, 'on the shared socket');
      const childClose = stepsOf(truth, 'close').find((x) => x.actor === 'child')!;
      t.ok(childClose.step > parentRead!.step, 'the child still holds the socket when the reply is read');
      t.notOk(
        readdirSync(r.out).some((f) => f.startsWith('.sendfile')),
        'no sendfile source file left',
      );
    }
    if (s.name === 'dup-and-close-on-exec') {
      const c = stepsOf(truth, 'socket').find((x) => x.actor === 'client' && x.sock === 'c')!;
      const e = stepsOf(truth, 'socket').find((x) => x.actor === 'client' && x.sock === 'e')!;
      const dup = stepsOf(truth, 'dup').find((x) => x.actor === 'client' && x.sock === 'c')!;
      const exec = stepsOf(truth, 'exec').find((x) => x.actor === 'child')!;
      const childPid = stepsOf(truth, 'fork').find((x) => x.actor === 'client')!.childPid;
      t.equal(e.cloexec, true, 'the socket step made with cloexec records cloexec: true');
      t.equal(e.socket?.cloexec, true, 'and its descriptor has FD_CLOEXEC');
      t.notOk(c.cloexec || c.socket?.cloexec, 'c is not close-on-exec');
      t.notOk(dup.socket?.cloexec, 'nor its dup');
      t.equal(dup.socket?.cookie, c.socket?.cookie, 'the dup names c');
      t.equal(exec.pid, childPid, 'the child execs');
      t.equal(exec.exe, runner, 'the runner itself');
      const [first, second, reply] = stepsOf(truth, 'send');
      t.same(
        [first!.actor, first!.sock, second!.actor, second!.sock, reply!.actor],
        ['client', 'c2', 'child', 'c2', 'server'],
        'the client sends on c2 after closing c; the child on c2 after its exec',
      );
      t.equal(second!.pid, childPid);
      const reads = stepsOf(truth, 'recv');
      t.same(
        reads.map((x) => x.tags),
        [[first!.tag], [second!.tag], [reply!.tag]],
        'every tag read once, in order',
      );
      t.equal(reads[2]!.pid, childPid, 'the child reads the reply after its exec');
      const m = buildModel(truth);
      const loses = m.events.filter((x): x is Extract<ExpectedEvent, { kind: 'lose' }> => x.kind === 'lose');
      const closeC = stepsOf(truth, 'close').find((x) => x.actor === 'client' && x.sock === 'c')!;
      t.notOk(
        loses.some((x) => x.step.step === closeC.step),
        'closing c (c2 still open) is no lose',
      );
      t.same(
        loses.filter((x) => x.step.step === exec.step).map((x) => [x.pid, x.via, x.sock.cookie]),
        [[childPid, 'close', e.socket!.cookie]],
        'the exec: the child loses e via close, and only e',
      );
      const closeE = stepsOf(truth, 'close').find((x) => x.actor === 'client' && x.sock === 'e')!;
      t.ok(
        m.events.some((x) => x.kind === 'close' && x.sock.cookie === e.socket!.cookie && x.step.step === closeE.step),
        "e is released by the client's close, not by the exec",
      );
      t.ok(
        loses.some((x) => x.step.step === closeE.step && x.pid === c.pid && x.via === 'close'),
        'where the client loses it',
      );
    }
    if (s.name === 'udp-shared-two-receivers') {
      const reads = stepsOf(truth, 'recvfrom');
      const sends = stepsOf(truth, 'sendto');
      t.same(
        reads.map((x) => x.tags),
        sends.map((x) => [x.tag]),
        'each datagram read once, in order',
      );
      t.not(reads[0]!.pid, reads[1]!.pid, 'by two processes');
      t.equal(reads[0]!.socket?.cookie, reads[1]!.socket?.cookie, 'on one socket');
    }
    if (s.name === 'netns-second-namespace') {
      const ns = stepsOf(truth, 'netns')[0]!;
      t.not(ns.netnsAfter, ns.netnsBefore, 'a new network namespace');
      const inside = stepsOf(truth, 'send');
      t.ok(
        inside.every((x) => x.netns === ns.netnsAfter),
        'traffic happens inside it',
      );
    }
  }

  t.test('dup, shutdown and sleep steps', async (t) => {
    const s = {
      name: 'dup-shutdown',
      description: 'x',
      processes: ['srv', 'cli'],
      steps: [
        { kind: 'socket', by: 'srv', sock: 'l', family: 'inet6', type: 'stream' },
        { kind: 'bind', by: 'srv', sock: 'l', addr: '::1' },
        { kind: 'listen', by: 'srv', sock: 'l' },
        { kind: 'socket', by: 'cli', sock: 'c', family: 'inet6', type: 'stream' },
        { kind: 'connect', by: 'cli', sock: 'c', to: { sock: 'l' } },
        { kind: 'accept', by: 'srv', sock: 'l', as: 'a' },
        { kind: 'dup', by: 'cli', sock: 'c', as: 'c2' },
        { kind: 'close', by: 'cli', sock: 'c' },
        { kind: 'send', by: 'cli', sock: 'c2', size: 30 },
        { kind: 'shutdown', by: 'cli', sock: 'c2', how: 'wr' },
        { kind: 'sleep', by: 'srv', ms: 20 },
        { kind: 'recv', by: 'srv', sock: 'a', size: 30 },
      ],
    } satisfies Scenario;
    const r = run(compileScenario(s), s.name, '--no-capture');
    t.equal(r.status, 0, r.stderr);
    const truth = parseTruth(readFileSync(join(r.out, 'truth.json'), 'utf8'));
    const dup = stepsOf(truth, 'dup')[0]!;
    const sock = stepsOf(truth, 'socket').find((x) => x.sock === 'c')!;
    t.equal(dup.socket?.cookie, sock.socket?.cookie, 'dup names the same socket');
    t.not(dup.socket?.fd, sock.socket?.fd, 'with another descriptor');
    t.same(stepsOf(truth, 'recv')[0]?.tags, [stepsOf(truth, 'send')[0]?.tag], 'the tag arrives');
    const v = checkScenario({ scenario: s, truth, capture: readPcapng(writeBlocks(synthBlocks(truth, 'ideal'))) });
    t.equal(v.status, 'pass', v.mismatches.join('\n'));
  });

  t.test('a failing step exits nonzero and names the step', async (t) => {
    const script = [
      'hone-runner-script 1',
      'scenario broken',
      'steps 4',
      'step 0 runner fork child=a',
      'step 1 a socket sock=c family=inet type=stream',
      'step 2 a connect sock=c addr=127.0.0.1 port=1',
      'step 3 a exit code=0',
      'end',
      '',
    ].join('\n');
    const r = run(script, 'broken', '--no-capture');
    t.equal(r.status, 1);
    t.match(r.stderr, /hone-runner: step 2 \(a connect\): connect: Connection refused/);
    const truth = parseTruth(readFileSync(join(r.out, 'truth.json'), 'utf8'));
    t.equal(truth.ok, false);
    t.equal(truth.failedStep, 2);
  });

  t.test('sendfile and splice need a stream socket', async (t) => {
    const script = (kind: string) =>
      [
        'hone-runner-script 1',
        'scenario x',
        'steps 5',
        'step 0 runner fork child=a',
        'step 1 a socket sock=u family=inet type=dgram',
        'step 2 a connect sock=u addr=127.0.0.1 port=9',
        `step 3 a ${kind}`,
        'step 4 a exit code=0',
        'end',
        '',
      ].join('\n');
    const s = run(script('send sock=u via=sendfile'), 'udp-sendfile', '--no-capture');
    t.equal(s.status, 1);
    t.match(s.stderr, /hone-runner: step 3 \(a send\): via=sendfile needs a stream socket/);
    const r = run(script('recv sock=u via=splice'), 'udp-splice', '--no-capture');
    t.equal(r.status, 1);
    t.match(r.stderr, /hone-runner: step 3 \(a recv\): via=splice needs a stream socket/);
  });

  t.test('a malformed script is refused', async (t) => {
    const r = run('hone-runner-script 1\nscenario x\nsteps 2\nstep 0 runner fork child=a\nend\n', 'short', '--no-capture');
    t.equal(r.status, 1);
    t.match(r.stderr, /truncated script \(1 of 2 steps/);
    const r2 = run('not a script\n', 'foreign', '--no-capture');
    t.match(r2.stderr, /not a hone-runner script/);
    const r3 = run(
      'hone-runner-script 1\nscenario x\nsteps 1\nstep 0 runner fork child=a more=true\nend\n',
      'more-on-fork',
      '--no-capture',
    );
    t.match(r3.stderr, /step 0: more= is only for send steps, not fork/);
    const r4 = run('hone-runner-script 1\nscenario x\nsteps 1\nstep 0 a send sock=c more=yes\nend\n', 'more-yes', '--no-capture');
    t.match(r4.stderr, /step 0: more=yes: expected true or false/);
    const bad = (line: string) => run(`hone-runner-script 1\nscenario x\nsteps 1\n${line}\nend\n`, 'via', '--no-capture').stderr;
    t.match(bad('step 0 a send sock=c via=splice'), /step 0: send via=splice: expected via=sendfile/);
    t.match(bad('step 0 a recv sock=c via=sendfile'), /step 0: recv via=sendfile: expected via=splice/);
    t.match(bad('step 0 a sendto sock=c to=s via=sendfile'), /step 0: via= is not for sendto steps/);
    t.match(bad('step 0 a send sock=c more=true via=sendfile'), /step 0: more=true cannot be combined with via=sendfile/);
    t.match(bad('step 0 a close sock=c cloexec=true'), /step 0: cloexec= is only for socket and accept steps, not close/);
    t.match(bad('step 0 a socket sock=c family=inet type=stream cloexec=yes'), /step 0: cloexec=yes: expected true or false/);
    t.match(
      bad('step 0 a frobnicate sock=c'),
      /hone-runner: \S+via\.script:4: step 0: unknown step kind "frobnicate"/,
      'an unknown kind is a parse error naming SCRIPT:LINE',
    );
    t.match(bad('# a comment\nstep 0 a send sock=c more=yes'), /via\.script:5: step 0: more=yes/, 'the line counts comments');
  });

  t.test('accept with cloexec: accept4(SOCK_CLOEXEC); an exec closes it, the listener survives', async (t) => {
    const s = {
      name: 'accept-cloexec',
      description: 'x',
      processes: ['srv', 'cli'],
      steps: [
        { kind: 'socket', by: 'srv', sock: 'l', family: 'inet', type: 'stream' },
        { kind: 'bind', by: 'srv', sock: 'l', addr: '127.0.0.1' },
        { kind: 'listen', by: 'srv', sock: 'l' },
        { kind: 'socket', by: 'cli', sock: 'c', family: 'inet', type: 'stream' },
        { kind: 'connect', by: 'cli', sock: 'c', to: { sock: 'l' } },
        { kind: 'accept', by: 'srv', sock: 'l', as: 'a', cloexec: true },
        { kind: 'exec', by: 'srv' },
        // the server's exec closed a: the client sees the FIN (a 0-byte read would block otherwise),
        // and the listener is still there to accept a second connection
        { kind: 'socket', by: 'cli', sock: 'c2', family: 'inet', type: 'stream' },
        { kind: 'connect', by: 'cli', sock: 'c2', to: { sock: 'l' } },
        { kind: 'accept', by: 'srv', sock: 'l', as: 'b' },
        { kind: 'send', by: 'cli', sock: 'c2', size: 30 },
        { kind: 'recv', by: 'srv', sock: 'b', size: 30 },
      ],
    } satisfies Scenario;
    const r = run(compileScenario(s), s.name, '--no-capture');
    t.equal(r.status, 0, r.stderr);
    const truth = parseTruth(readFileSync(join(r.out, 'truth.json'), 'utf8'));
    const [a, b] = stepsOf(truth, 'accept');
    t.equal(a!.cloexec, true, 'accept with cloexec records cloexec: true');
    t.equal(a!.socket?.cloexec, true, 'the accepted descriptor has FD_CLOEXEC');
    t.notOk(a!.listener?.cloexec, 'the listener has not');
    t.notOk(b!.cloexec || b!.socket?.cloexec, 'a plain accept is not close-on-exec');
    const exec = stepsOf(truth, 'exec')[0]!;
    const m = buildModel(truth);
    t.ok(
      m.events.some((x) => x.kind === 'lose' && x.step.step === exec.step && x.via === 'close' && x.sock.cookie === a!.socket!.cookie),
      'the model: the exec is a lose via close of a',
    );
    t.ok(
      m.events.some((x) => x.kind === 'close' && x.step.step === exec.step && x.sock.cookie === a!.socket!.cookie),
      'and its close (the last reference)',
    );
    const v = checkScenario({ scenario: s, truth, capture: readPcapng(writeBlocks(synthBlocks(truth, 'ideal'))) });
    t.equal(v.status, 'pass', v.mismatches.join('\n'));
    // the validator refuses a step on `a` after the exec; by hand, the runner fails that step
    const script = compileScenario({ ...s, steps: s.steps.slice(0, 7) }).split('\n');
    const at = script.findIndex((l) => / exit code=0$/.test(l));
    script.splice(at, 0, `step ${at - 3} srv close sock=a`);
    const renumbered = script.map((l, i) =>
      i > at && l.startsWith('step ')
        ? l.replace(/^step \d+/, `step ${i - 3}`)
        : l.startsWith('steps ')
          ? `steps ${Number(l.slice(6)) + 1}`
          : l,
    );
    const after = run(renumbered.join('\n'), 'gone', '--no-capture');
    t.match(after.stderr, /this process holds no handle "a"/, "the exec'd runner has no handle for the closed descriptor");
  });

  t.test('without the module, capture fails clearly', { skip: existsSync('/dev/hone') ? '/dev/hone exists here' : false }, async (t) => {
    const s = (await loadScenarios()).find((x) => x.name === 'tcp-loopback-v4')!;
    const r = run(compileScenario(s), 'nocapture');
    t.equal(r.status, 1);
    t.match(r.stderr, /cannot open \/dev\/hone: No such file or directory \(is the honeevent module loaded\?\)/);
    t.equal(parseTruth(readFileSync(join(r.out, 'truth.json'), 'utf8')).ok, false);
  });
});
