// parent: socket c, connect ──► server; fork ─► child
// parent send, child send, parent send, child send (server reads each in turn)
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';
import type { Step } from '../harness/scenario/index.ts';

const turn = (by: string): Step[] => [
  { kind: 'send', by, sock: 'c', size: 40 },
  { kind: 'recv', by: 'server', sock: 'conn', size: 40 },
];

export default defineScenario({
  name: 'fork-shared-turns',
  description: 'Parent and child take turns sending on one inherited TCP socket',
  processes: ['server', 'parent'],
  steps: [
    ...tcpServer('server'),
    ...tcpConnect('parent', 'c', 'server', 'conn'),
    { kind: 'fork', by: 'parent', child: 'child' },
    ...turn('parent'),
    ...turn('child'),
    ...turn('parent'),
    ...turn('child'),
    { kind: 'close', by: 'child', sock: 'c' },
    { kind: 'close', by: 'parent', sock: 'c' },
    { kind: 'close', by: 'server', sock: 'conn' },
  ],
});
