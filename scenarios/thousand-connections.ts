// client ──connect, send, close──► server (accept, recv, close), 1000 times in a row
import { defineScenario, repeat } from '../harness/scenario/index.ts';
import { tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'thousand-connections',
  description: '1,000 TCP connections in a row over IPv4 loopback, one tagged message on each',
  processes: ['server', 'client'],
  steps: [
    ...tcpServer('server'),
    ...repeat(1000, () => [
      { kind: 'socket', by: 'client', sock: 'c', family: 'inet', type: 'stream' },
      { kind: 'connect', by: 'client', sock: 'c', to: { sock: 'srv' } },
      { kind: 'accept', by: 'server', sock: 'srv', as: 'conn' },
      { kind: 'send', by: 'client', sock: 'c', size: 32 },
      { kind: 'recv', by: 'server', sock: 'conn', size: 32 },
      { kind: 'close', by: 'client', sock: 'c' },
      { kind: 'close', by: 'server', sock: 'conn' },
    ]),
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
