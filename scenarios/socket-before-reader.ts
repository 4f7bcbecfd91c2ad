// server/client set up a TCP connection BEFORE the capture starts;
// capture-start (the runner opens /dev/hone now); then tagged data both ways
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'socket-before-reader',
  description: 'A TCP connection opened before the reader: the snapshot must describe it and its packets must still be attributed',
  processes: ['server', 'client'],
  steps: [
    ...tcpServer('server'),
    ...tcpConnect('client', 'c', 'server', 'conn'),
    { kind: 'capture-start' },
    { kind: 'send', by: 'client', sock: 'c', size: 64 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 64 },
    { kind: 'send', by: 'server', sock: 'conn', size: 64 },
    { kind: 'recv', by: 'client', sock: 'c', size: 64 },
    { kind: 'close', by: 'client', sock: 'c' },
    { kind: 'close', by: 'server', sock: 'conn' },
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
