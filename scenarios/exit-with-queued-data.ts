// server: srv; client connects, server accepts conn, forks worker (both hold conn and srv)
// client send ──► queued on conn; the SERVER EXITS without reading (a lose by exit, no FIN: worker holds conn)
// worker recv: reads the bytes that were queued while the server still held the socket; worker send ──► client recv
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'exit-with-queued-data',
  description:
    'A process exits while its socket still has queued data; the other holder (its forked child) reads that data: the reader is the child, the exit only a lose',
  processes: ['server', 'client'],
  steps: [
    ...tcpServer('server'),
    ...tcpConnect('client', 'c', 'server', 'conn'),
    { kind: 'fork', by: 'server', child: 'worker' },
    { kind: 'send', by: 'client', sock: 'c', size: 64 },
    { kind: 'sleep', by: 'client', ms: 10 },
    { kind: 'exit', by: 'server' },
    { kind: 'recv', by: 'worker', sock: 'conn', size: 64 },
    { kind: 'send', by: 'worker', sock: 'conn', size: 48 },
    { kind: 'recv', by: 'client', sock: 'c', size: 48 },
    { kind: 'close', by: 'client', sock: 'c' },
    { kind: 'close', by: 'worker', sock: 'conn' },
    { kind: 'close', by: 'worker', sock: 'srv' },
  ],
});
