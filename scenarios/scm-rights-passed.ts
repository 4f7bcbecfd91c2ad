// owner: socketpair u1/u2, fork ─► receiver (keeps u2)
// owner: socket c, connect ──► server; sendfd c over u1; close c
// receiver: recvfd from u2 as c2; send on c2 ──► server; recv the answer
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'scm-rights-passed',
  description: 'A connected TCP socket is passed with SCM_RIGHTS to another process, which then uses it',
  processes: ['server', 'owner'],
  steps: [
    ...tcpServer('server'),
    { kind: 'socketpair', by: 'owner', sock: 'u1', peer: 'u2' },
    { kind: 'fork', by: 'owner', child: 'receiver' },
    { kind: 'close', by: 'owner', sock: 'u2' },
    { kind: 'close', by: 'receiver', sock: 'u1' },
    ...tcpConnect('owner', 'c', 'server', 'conn'),
    { kind: 'sendfd', by: 'owner', via: 'u1', sock: 'c' },
    { kind: 'close', by: 'owner', sock: 'c' },
    { kind: 'recvfd', by: 'receiver', via: 'u2', as: 'c2' },
    { kind: 'send', by: 'receiver', sock: 'c2', size: 64 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 64 },
    { kind: 'send', by: 'server', sock: 'conn', size: 64 },
    { kind: 'recv', by: 'receiver', sock: 'c2', size: 64 },
    { kind: 'close', by: 'receiver', sock: 'c2' },
    { kind: 'close', by: 'server', sock: 'conn' },
  ],
});
