// parent: socket c, connect ──► server; fork ─► child
// child: exec (the runner re-executes itself, c stays open) ─► send on c, recv the answer
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'exec-inherited-socket',
  description: 'A forked child execs a new program image that keeps the inherited TCP socket and uses it',
  processes: ['server', 'parent'],
  steps: [
    ...tcpServer('server'),
    ...tcpConnect('parent', 'c', 'server', 'conn'),
    { kind: 'fork', by: 'parent', child: 'child' },
    { kind: 'close', by: 'parent', sock: 'c' },
    { kind: 'exec', by: 'child' },
    { kind: 'send', by: 'child', sock: 'c', size: 64 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 64 },
    { kind: 'send', by: 'server', sock: 'conn', size: 64 },
    { kind: 'recv', by: 'child', sock: 'c', size: 64 },
    { kind: 'close', by: 'child', sock: 'c' },
    { kind: 'close', by: 'server', sock: 'conn' },
  ],
});
