// client: socket c, connect ──► server accepts conn
// server: fork ─► handler (inherits srv and conn); server closes its conn descriptor
// client send request ──► HANDLER recv on conn; handler send reply ──► client recv
// (the acceptor no longer holds conn: the handler is its only holder)
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'accepted-socket-to-child',
  description:
    'A server accepts a connection, forks a handler and closes its own descriptor; the handler reads the request and sends the reply',
  processes: ['server', 'client'],
  steps: [
    ...tcpServer('server'),
    ...tcpConnect('client', 'c', 'server', 'conn'),
    { kind: 'fork', by: 'server', child: 'handler' },
    { kind: 'close', by: 'server', sock: 'conn' },
    { kind: 'send', by: 'client', sock: 'c', size: 64 },
    { kind: 'recv', by: 'handler', sock: 'conn', size: 64 },
    { kind: 'send', by: 'handler', sock: 'conn', size: 80 },
    { kind: 'recv', by: 'client', sock: 'c', size: 80 },
    { kind: 'close', by: 'client', sock: 'c' },
    { kind: 'close', by: 'handler', sock: 'conn' },
    { kind: 'close', by: 'handler', sock: 'srv' },
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
