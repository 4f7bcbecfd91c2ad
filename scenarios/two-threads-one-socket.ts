// worker (main thread): socket c, connect ──► server
// threads t1 and t2 of worker send on c in turn; t2 reads the answer
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'two-threads-one-socket',
  description: 'Two threads of one process send on the same TCP socket in turn; thread ids must be told apart',
  processes: ['server', 'worker'],
  steps: [
    ...tcpServer('server'),
    ...tcpConnect('worker', 'c', 'server', 'conn'),
    { kind: 'thread', by: 'worker', thread: 't1' },
    { kind: 'thread', by: 'worker', thread: 't2' },
    { kind: 'send', by: 't1', sock: 'c', size: 48 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 48 },
    { kind: 'send', by: 't2', sock: 'c', size: 48 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 48 },
    { kind: 'send', by: 't1', sock: 'c', size: 48 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 48 },
    { kind: 'send', by: 'server', sock: 'conn', size: 48 },
    { kind: 'recv', by: 't2', sock: 'c', size: 48 },
    { kind: 'close', by: 'server', sock: 'conn' },
  ],
});
