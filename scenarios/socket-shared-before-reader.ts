// client: socket c, connect ──► server accepts conn; client forks child (both hold c)
// capture-start (the readers open now: the snapshot must name BOTH holders of c)
// child send ──► server recv; client send ──► server recv
// child close (a lose), client close (the last: the FIN)
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'socket-shared-before-reader',
  description:
    'A TCP socket held by two processes (parent and forked child) when the reader opens: the snapshot has an open block for each holder, and the holder lists name both until each lets go',
  processes: ['server', 'client'],
  steps: [
    ...tcpServer('server'),
    ...tcpConnect('client', 'c', 'server', 'conn'),
    { kind: 'fork', by: 'client', child: 'child' },
    { kind: 'capture-start' },
    { kind: 'send', by: 'child', sock: 'c', size: 64 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 64 },
    { kind: 'send', by: 'client', sock: 'c', size: 40 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 40 },
    { kind: 'close', by: 'child', sock: 'c' },
    { kind: 'close', by: 'client', sock: 'c' },
    { kind: 'close', by: 'server', sock: 'conn' },
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
