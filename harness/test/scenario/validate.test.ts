import t from 'tap';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScenarioError, validateScenario, type Step } from '../../scenario/index.ts';

const base = (steps: unknown[], extra: Record<string, unknown> = {}) => ({
  name: 'demo',
  description: 'demo scenario',
  processes: ['a', 'b'],
  steps,
  ...extra,
});

const tcp: Step[] = [
  { kind: 'socket', by: 'a', sock: 'srv', family: 'inet', type: 'stream' },
  { kind: 'bind', by: 'a', sock: 'srv', addr: '127.0.0.1' },
  { kind: 'listen', by: 'a', sock: 'srv' },
  { kind: 'socket', by: 'b', sock: 'c', family: 'inet', type: 'stream' },
  { kind: 'connect', by: 'b', sock: 'c', to: { sock: 'srv' } },
  { kind: 'accept', by: 'a', sock: 'srv', as: 'conn' },
];

t.test('a well-formed scenario validates and reports live processes', async (t) => {
  const { model } = validateScenario(
    base([...tcp, { kind: 'fork', by: 'b', child: 'kid' }, { kind: 'send', by: 'kid', sock: 'c' }, { kind: 'exit', by: 'kid' }]),
    'demo.ts',
  );
  t.same(model.liveProcesses, ['a', 'b']);
});

const cxTcp: Step[] = [
  ...tcp.slice(0, 3),
  { kind: 'socket', by: 'b', sock: 'c', family: 'inet', type: 'stream', cloexec: true },
  ...tcp.slice(4),
];

// [what is wrong, scenario, step index or undefined, reason pattern]
const bad: Array<[string, unknown, number | undefined, RegExp]> = [
  ['not an object', 42, undefined, /not an object/],
  ['bad name', base(tcp, { name: 'Bad Name' }), undefined, /"name" must be/],
  ['unknown header field', base(tcp, { knowngap: 'x' }), undefined, /unknown field "knowngap"/],
  ['empty knownGap', base(tcp, { knownGap: ' ' }), undefined, /knownGap/],
  ['no processes', base(tcp, { processes: [] }), undefined, /"processes"/],
  ['no steps', base([]), undefined, /"steps"/],
  ['unknown kind', base([{ kind: 'teleport', by: 'a' }]), 0, /unknown kind "teleport"/],
  [
    'typo in a field',
    base([{ kind: 'socket', by: 'a', sock: 's', family: 'inet', type: 'stream', protocol: 6 }]),
    0,
    /unknown field "protocol"/,
  ],
  ['missing field', base([{ kind: 'socket', by: 'a', sock: 's', type: 'stream' }]), 0, /missing field "family"/],
  ['bad family', base([{ kind: 'socket', by: 'a', sock: 's', family: 'ipx', type: 'stream' }]), 0, /"family" must be/],
  ['bad address', base([...tcp.slice(0, 1), { kind: 'bind', by: 'a', sock: 'srv', addr: '300.1.1.1' }]), 1, /IPv4 or IPv6/],
  [
    'v6 address on v4 socket',
    base([...tcp.slice(0, 1), { kind: 'bind', by: 'a', sock: 'srv', addr: '::1' }]),
    1,
    /does not fit a inet socket/,
  ],
  ['unknown actor', base([{ kind: 'socket', by: 'zed', sock: 's', family: 'inet', type: 'stream' }]), 0, /actor "zed" does not exist/],
  ['handle not held', base([{ kind: 'send', by: 'a', sock: 'nope' }]), 0, /holds no handle "nope"/],
  ['send on unconnected', base([tcp[0]!, { kind: 'send', by: 'a', sock: 'srv' }]), 1, /not connected/],
  ['connect to unbound', base([tcp[0]!, tcp[3]!, { kind: 'connect', by: 'b', sock: 'c', to: { sock: 'srv' } }]), 2, /not bound/],
  ['accept without listen', base([tcp[0]!, tcp[1]!, { kind: 'accept', by: 'a', sock: 'srv', as: 'x' }]), 2, /not listening/],
  ['payload too small for the tag', base([...tcp, { kind: 'send', by: 'b', sock: 'c', size: 5 }]), 6, /"size" must be an integer from 20/],
  [
    'step after exit',
    base([
      { kind: 'exit', by: 'a' },
      { kind: 'sleep', by: 'a', ms: 1 },
    ]),
    1,
    /already exited/,
  ],
  [
    'exit by a thread',
    base([
      { kind: 'thread', by: 'a', thread: 't' },
      { kind: 'exit', by: 't' },
    ]),
    1,
    /main actor, not thread "t"/,
  ],
  [
    'exec with threads',
    base([
      { kind: 'thread', by: 'a', thread: 't' },
      { kind: 'exec', by: 'a' },
    ]),
    1,
    /with threads/,
  ],
  ['actor defined twice', base([{ kind: 'fork', by: 'a', child: 'b' }]), 0, /defined twice/],
  [
    'handle name reused while open',
    base([tcp[0]!, { kind: 'socket', by: 'b', sock: 'srv', family: 'inet', type: 'dgram' }]),
    1,
    /still open in process "a"/,
  ],
  [
    'recvfd with nothing sent',
    base([
      { kind: 'socketpair', by: 'a', sock: 'u1', peer: 'u2' },
      { kind: 'recvfd', by: 'a', via: 'u2', as: 'x' },
    ]),
    1,
    /nothing was sent/,
  ],
  ['raw without proto', base([{ kind: 'socket', by: 'a', sock: 'r', family: 'inet', type: 'raw' }]), 0, /raw socket needs "proto"/],
  [
    'ping socket of the wrong family',
    base([{ kind: 'socket', by: 'a', sock: 'p', family: 'inet6', type: 'dgram', proto: 1 }]),
    0,
    /ping sockets/,
  ],
  ['two capture-starts', base([{ kind: 'capture-start' }, { kind: 'capture-start' }]), 1, /capture-start appears twice/],
  ['stream sendto', base([...tcp, { kind: 'sendto', by: 'b', sock: 'c', to: { sock: 'srv' } }]), 6, /use send/],
  ['more that is not a boolean', base([...tcp, { kind: 'send', by: 'b', sock: 'c', more: 1 }]), 6, /"more" must be true or false/],
  ['more on sendto', base([...tcp, { kind: 'sendto', by: 'b', sock: 'c', to: { sock: 'srv' }, more: true }]), 6, /unknown field "more"/],
  [
    'more on a datagram socket',
    base([
      { kind: 'socket', by: 'a', sock: 'u', family: 'inet', type: 'dgram' },
      { kind: 'connect', by: 'a', sock: 'u', to: { addr: '127.0.0.1', port: 9 } },
      { kind: 'send', by: 'a', sock: 'u', more: true },
    ]),
    2,
    /only for stream sockets/,
  ],
  [
    'send via something other than sendfile',
    base([...tcp, { kind: 'send', by: 'b', sock: 'c', via: 'splice' }]),
    6,
    /field "via" must be "sendfile"/,
  ],
  [
    'recv via something other than splice',
    base([...tcp, { kind: 'send', by: 'b', sock: 'c' }, { kind: 'recv', by: 'a', sock: 'conn', via: 'sendfile' }]),
    7,
    /field "via" must be "splice"/,
  ],
  [
    'via on sendto',
    base([...tcp, { kind: 'sendto', by: 'b', sock: 'c', to: { sock: 'srv' }, via: 'sendfile' }]),
    6,
    /unknown field "via" \(a sendto step has/,
  ],
  [
    'via on recvfrom',
    base([
      { kind: 'socket', by: 'a', sock: 'u', family: 'inet', type: 'dgram' },
      { kind: 'bind', by: 'a', sock: 'u', addr: '127.0.0.1' },
      { kind: 'recvfrom', by: 'a', sock: 'u', via: 'splice' },
    ]),
    2,
    /unknown field "via" \(a recvfrom step has/,
  ],
  [
    'sendfile on a datagram socket',
    base([
      { kind: 'socket', by: 'a', sock: 'u', family: 'inet', type: 'dgram' },
      { kind: 'connect', by: 'a', sock: 'u', to: { addr: '127.0.0.1', port: 9 } },
      { kind: 'send', by: 'a', sock: 'u', via: 'sendfile' },
    ]),
    2,
    /"u" is not a stream socket: via: 'sendfile' is only for stream \(TCP\) sockets/,
  ],
  [
    'splice on a datagram socket',
    base([
      { kind: 'socket', by: 'a', sock: 'u', family: 'inet', type: 'dgram' },
      { kind: 'connect', by: 'a', sock: 'u', to: { addr: '127.0.0.1', port: 9 } },
      { kind: 'recv', by: 'a', sock: 'u', via: 'splice' },
    ]),
    2,
    /"u" is not a stream socket: via: 'splice' is only for stream \(TCP\) sockets/,
  ],
  [
    'sendfile on a unix socket',
    base([
      { kind: 'socketpair', by: 'a', sock: 'u1', peer: 'u2' },
      { kind: 'send', by: 'a', sock: 'u1', via: 'sendfile' },
    ]),
    1,
    /"u1" is a unix socket/,
  ],
  [
    'sendfile with more',
    base([...tcp, { kind: 'send', by: 'b', sock: 'c', more: true, via: 'sendfile' }]),
    6,
    /more: true cannot be combined with via: 'sendfile'/,
  ],
  [
    'cloexec that is not a boolean',
    base([{ kind: 'socket', by: 'a', sock: 's', family: 'inet', type: 'stream', cloexec: 'yes' }]),
    0,
    /"cloexec" must be true or false/,
  ],
  [
    'cloexec on dup',
    base([...tcp, { kind: 'dup', by: 'b', sock: 'c', as: 'd', cloexec: true }]),
    6,
    /unknown field "cloexec" \(a dup step has/,
  ],
  ['cloexec on socketpair', base([{ kind: 'socketpair', by: 'a', sock: 'u1', peer: 'u2', cloexec: true }]), 0, /unknown field "cloexec"/],
  [
    'a cloexec socket used after exec',
    base([...cxTcp, { kind: 'exec', by: 'b' }, { kind: 'send', by: 'b', sock: 'c' }]),
    7,
    /process "b" holds no handle "c"/,
  ],
  [
    'a cloexec accepted socket used after exec',
    base([
      ...tcp.slice(0, 5),
      { kind: 'accept', by: 'a', sock: 'srv', as: 'conn', cloexec: true },
      { kind: 'exec', by: 'a' },
      { kind: 'close', by: 'a', sock: 'conn' },
    ]),
    7,
    /process "a" holds no handle "conn"/,
  ],
  [
    "a forked child's cloexec socket after its exec",
    base([...cxTcp, { kind: 'fork', by: 'b', child: 'kid' }, { kind: 'exec', by: 'kid' }, { kind: 'close', by: 'kid', sock: 'c' }]),
    8,
    /process "kid" holds no handle "c"/,
  ],
  [
    'recv while bytes are held back',
    base([...tcp, { kind: 'send', by: 'b', sock: 'c', size: 30, more: true }, { kind: 'recv', by: 'a', sock: 'conn', size: 30 }]),
    7,
    /still holds the bytes of the send with more: true at step 6/,
  ],
];

t.test('a send with more: true is released by a later send or by the last close', async (t) => {
  const held: Step = { kind: 'send', by: 'b', sock: 'c', size: 30, more: true };
  t.doesNotThrow(
    () =>
      validateScenario(
        base([...tcp, held, { kind: 'send', by: 'b', sock: 'c', size: 30 }, { kind: 'recv', by: 'a', sock: 'conn', size: 60 }]),
      ),
    'a later send without more',
  );
  t.doesNotThrow(
    () => validateScenario(base([...tcp, held, { kind: 'close', by: 'b', sock: 'c' }, { kind: 'recv', by: 'a', sock: 'conn', size: 30 }])),
    'the last close',
  );
  t.throws(
    () =>
      validateScenario(
        base([
          ...tcp,
          { kind: 'fork', by: 'b', child: 'k' },
          held,
          { kind: 'close', by: 'b', sock: 'c' },
          { kind: 'recv', by: 'a', sock: 'conn', size: 30 },
        ]),
      ),
    /still holds/,
    'a close while another process holds it sends nothing',
  );
});

t.test("cloexec: an exec closes only the cloexec descriptor; a dup of it, the fork parent's copy and the listener survive", async (t) => {
  t.doesNotThrow(() =>
    validateScenario(
      base([
        ...cxTcp,
        { kind: 'dup', by: 'b', sock: 'c', as: 'd' },
        { kind: 'fork', by: 'b', child: 'kid' },
        { kind: 'exec', by: 'kid' },
        { kind: 'send', by: 'kid', sock: 'd' },
        { kind: 'recv', by: 'a', sock: 'conn' },
        { kind: 'send', by: 'b', sock: 'c' },
        { kind: 'recv', by: 'a', sock: 'conn' },
        { kind: 'close', by: 'b', sock: 'c' },
      ]),
    ),
  );
  t.doesNotThrow(
    () =>
      validateScenario(
        base([
          ...tcp.slice(0, 5),
          { kind: 'accept', by: 'a', sock: 'srv', as: 'conn', cloexec: true },
          { kind: 'exec', by: 'a' },
          { kind: 'close', by: 'a', sock: 'srv' },
        ]),
      ),
    'the listener (not cloexec) survives',
  );
  t.doesNotThrow(
    () =>
      validateScenario(
        base([
          ...cxTcp,
          { kind: 'close', by: 'b', sock: 'c' },
          { kind: 'socket', by: 'b', sock: 'c', family: 'inet', type: 'stream' },
          { kind: 'exec', by: 'b' },
          { kind: 'close', by: 'b', sock: 'c' },
        ]),
      ),
    'a handle name reused without cloexec survives',
  );
  t.doesNotThrow(
    () =>
      validateScenario(
        base([
          ...cxTcp,
          { kind: 'send', by: 'b', sock: 'c', size: 30, more: true },
          { kind: 'exec', by: 'b' },
          { kind: 'recv', by: 'a', sock: 'conn', size: 30 },
        ]),
      ),
    'the exec closing the last descriptor releases bytes held with more: true',
  );
});

t.test('send via: sendfile and recv via: splice on a connected stream socket', async (t) => {
  t.doesNotThrow(() =>
    validateScenario(
      base([
        ...tcp,
        { kind: 'send', by: 'b', sock: 'c', size: 30, via: 'sendfile' },
        { kind: 'recv', by: 'a', sock: 'conn', size: 30, via: 'splice' },
      ]),
    ),
  );
});

for (const [what, scenario, step, reason] of bad) {
  t.test(`rejected: ${what}`, async (t) => {
    let err: unknown;
    try {
      validateScenario(scenario, '/x/demo.ts');
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof ScenarioError, 'throws ScenarioError');
    const e = err as ScenarioError;
    t.equal(e.file, '/x/demo.ts');
    t.equal(e.step, step);
    t.match(e.reason, reason);
    t.match(e.message, step === undefined ? /^\/x\/demo\.ts: / : new RegExp(`^/x/demo\\.ts: step ${step} \\(`));
    t.equal(e.code, 'E_SCENARIO');
  });
}

t.test('loadScenarios names the broken file', async (t) => {
  const { loadScenarios } = await import('../../scenario/index.ts');
  const dir = await mkdtemp(join(tmpdir(), 'hone-scen-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'good.json'), JSON.stringify(base(tcp, { name: 'good' })));
  t.equal((await loadScenarios(dir)).length, 1);
  await writeFile(join(dir, 'zbad.json'), JSON.stringify(base([{ kind: 'send', by: 'a', sock: 'x' }], { name: 'zbad' })));
  await t.rejects(loadScenarios(dir), { name: 'ScenarioError', file: join(dir, 'zbad.json'), step: 0 });
  await writeFile(join(dir, 'zbad.json'), '{ not json');
  await t.rejects(loadScenarios(dir), { file: join(dir, 'zbad.json'), message: /cannot load the file/ });
  await writeFile(join(dir, 'zbad.json'), JSON.stringify(base(tcp, { name: 'good' })));
  await t.rejects(loadScenarios(dir), { message: /scenario name "good" is also used by/ });
});
