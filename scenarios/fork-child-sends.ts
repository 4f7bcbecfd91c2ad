// parent: socket c, connect ──► server accepts conn
// parent: fork ─► child (inherits c)
// child:  send on c ──► server recv        server send ──► child recv
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'fork-child-sends',
  description: 'The parent connects a TCP socket, forks, and the child sends and receives on the inherited socket',
  processes: ['server', 'parent'],
  steps: [
    ...tcpServer('server'),
    ...tcpConnect('parent', 'c', 'server', 'conn'),
    { kind: 'fork', by: 'parent', child: 'child' },
    { kind: 'send', by: 'child', sock: 'c', size: 64 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 64 },
    { kind: 'send', by: 'server', sock: 'conn', size: 64 },
    { kind: 'recv', by: 'child', sock: 'c', size: 64 },
    { kind: 'close', by: 'parent', sock: 'c' },
    { kind: 'exit', by: 'child', code: 3 },
    { kind: 'close', by: 'server', sock: 'conn' },
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
