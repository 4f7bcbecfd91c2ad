import t from 'tap';
import { compileScenario, loadScenarios, SCRIPT_MAGIC } from '../../scenario/index.ts';

t.test('the shipped scenario set', async (t) => {
  const all = await loadScenarios();
  const names = all.map((s) => s.name);
  for (const n of [
    'tcp-loopback-v4',
    'tcp-loopback-v6',
    'udp-any-v4',
    'udp-any-v6',
    'icmp-ping-v4',
    'raw-socket-v4',
    'fork-child-sends',
    'fork-shared-turns',
    'exec-inherited-socket',
    'scm-rights-passed',
    'two-threads-one-socket',
    'short-lived-sender',
    'thousand-connections',
    'netns-second-namespace',
    'socket-before-reader',
    'reply-read-by-forked-worker',
    'cork-released-by-later-write',
    'accepted-socket-to-child',
    'udp-shared-two-receivers',
    'kernel-sent-ack-rst',
    'sendfile-splice',
    'dup-and-close-on-exec',
  ]) {
    t.ok(names.includes(n), `has ${n}`);
  }
  // every scenario, the attribution ones included, must pass on every kernel: no known gaps left
  for (const s of all) {
    t.equal(s.knownGap, undefined, `${s.name}: no knownGap (a failure fails, it is not a TODO)`);
    const script = compileScenario(s);
    t.ok(script.startsWith(`${SCRIPT_MAGIC}\nscenario ${s.name}\n`), `${s.name} compiles`);
  }
});

t.test('script format: runner forks first, implicit exits last', async (t) => {
  const script = compileScenario({
    name: 'mini',
    description: 'x',
    processes: ['a'],
    steps: [
      { kind: 'socket', by: 'a', sock: 's', family: 'inet6', type: 'dgram' },
      { kind: 'fork', by: 'a', child: 'k' },
      { kind: 'sendto', by: 'k', sock: 's', to: { addr: '::1', port: 9 }, size: 30 },
      { kind: 'capture-start' },
      { kind: 'exit', by: 'k', code: 4 },
    ],
  });
  t.equal(
    script,
    [
      'hone-runner-script 1',
      'scenario mini',
      'steps 7',
      'step 0 runner fork child=a',
      'step 1 a socket sock=s family=inet6 type=dgram',
      'step 2 a fork child=k',
      'step 3 k sendto sock=s addr=::1 port=9 size=30',
      'step 4 runner capture-start',
      'step 5 k exit code=4',
      'step 6 a exit code=0',
      'end',
      '',
    ].join('\n'),
  );
});

/** a listens on l and connects c to it (steps 2-6 once compiled). */
const connected = [
  { kind: 'socket', by: 'a', sock: 'l', family: 'inet', type: 'stream' },
  { kind: 'bind', by: 'a', sock: 'l', addr: '127.0.0.1' },
  { kind: 'listen', by: 'a', sock: 'l' },
  { kind: 'socket', by: 'a', sock: 'c', family: 'inet', type: 'stream' },
  { kind: 'connect', by: 'a', sock: 'c', to: { sock: 'l' } },
] as const;

t.test('send with more: true compiles to more=true; more: false is left out', async (t) => {
  const tcp = [
    ...connected,
    { kind: 'send', by: 'a', sock: 'c', size: 30, more: true },
    { kind: 'send', by: 'a', sock: 'c', size: 30, more: false },
  ] as const;
  const lines = compileScenario({ name: 'm', description: 'x', processes: ['a'], steps: [...tcp] }).split('\n');
  t.ok(lines.includes('step 6 a send sock=c size=30 more=true'), 'more=true');
  t.ok(lines.includes('step 7 a send sock=c size=30'), 'false: no argument');
});

t.test('send via: sendfile and recv via: splice compile to via=sendfile / via=splice', async (t) => {
  const tcp = [
    ...connected,
    { kind: 'accept', by: 'a', sock: 'l', as: 's' },
    { kind: 'send', by: 'a', sock: 'c', size: 30, via: 'sendfile' },
    { kind: 'recv', by: 'a', sock: 's', size: 30, via: 'splice' },
    { kind: 'send', by: 'a', sock: 's', size: 30 },
    { kind: 'recv', by: 'a', sock: 'c', size: 30 },
  ] as const;
  const lines = compileScenario({ name: 'v', description: 'x', processes: ['a'], steps: [...tcp] }).split('\n');
  t.ok(lines.includes('step 7 a send sock=c size=30 via=sendfile'), 'via=sendfile');
  t.ok(lines.includes('step 8 a recv sock=s size=30 via=splice'), 'via=splice');
  t.ok(lines.includes('step 9 a send sock=s size=30') && lines.includes('step 10 a recv sock=c size=30'), 'plain steps: no via');
});

t.test('socket and accept with cloexec: true compile to cloexec=true; false is left out', async (t) => {
  const steps = [
    { kind: 'socket', by: 'a', sock: 'l', family: 'inet', type: 'stream', cloexec: false },
    { kind: 'bind', by: 'a', sock: 'l', addr: '127.0.0.1' },
    { kind: 'listen', by: 'a', sock: 'l' },
    { kind: 'socket', by: 'a', sock: 'c', family: 'inet', type: 'stream', cloexec: true },
    { kind: 'connect', by: 'a', sock: 'c', to: { sock: 'l' } },
    { kind: 'accept', by: 'a', sock: 'l', as: 's', cloexec: true },
  ] as const;
  const lines = compileScenario({ name: 'cx', description: 'x', processes: ['a'], steps: [...steps] }).split('\n');
  t.ok(lines.includes('step 1 a socket sock=l family=inet type=stream'), 'false: no argument');
  t.ok(lines.includes('step 4 a socket sock=c family=inet type=stream cloexec=true'), 'socket cloexec=true');
  t.ok(lines.includes('step 6 a accept sock=l as=s cloexec=true'), 'accept cloexec=true');
});
