// client: socket c, connect ──► server accepts conn
// client: fork ─► worker (inherits c)
// client: send request on c ──► server recv, server send reply ──► WORKER recv on c
// (the reply arrives while two processes hold c: only the read names who received it)
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'reply-read-by-forked-worker',
  description: 'The client sends a request on a TCP socket it shares with a forked worker; the worker, not the client, reads the reply',
  processes: ['server', 'client'],
  steps: [
    ...tcpServer('server'),
    ...tcpConnect('client', 'c', 'server', 'conn'),
    { kind: 'fork', by: 'client', child: 'worker' },
    { kind: 'send', by: 'client', sock: 'c', size: 64 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 64 },
    { kind: 'send', by: 'server', sock: 'conn', size: 96 },
    { kind: 'recv', by: 'worker', sock: 'c', size: 96 },
    { kind: 'close', by: 'client', sock: 'c' },
    { kind: 'close', by: 'worker', sock: 'c' },
    { kind: 'close', by: 'server', sock: 'conn' },
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
