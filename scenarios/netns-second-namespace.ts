// isolated: unshare(CLONE_NEWNET), bring lo up; fork ─► peer (same namespace)
// inside the namespace: TCP over 127.0.0.1 between isolated (server) and peer (client)
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'netns-second-namespace',
  description: 'TCP over loopback inside a second network namespace (same addresses as the first one)',
  processes: ['isolated'],
  steps: [
    { kind: 'netns', by: 'isolated' },
    { kind: 'fork', by: 'isolated', child: 'peer' },
    ...tcpServer('isolated'),
    ...tcpConnect('peer', 'c', 'isolated', 'conn'),
    { kind: 'send', by: 'peer', sock: 'c', size: 64 },
    { kind: 'recv', by: 'isolated', sock: 'conn', size: 64 },
    { kind: 'send', by: 'isolated', sock: 'conn', size: 64 },
    { kind: 'recv', by: 'peer', sock: 'c', size: 64 },
    { kind: 'close', by: 'peer', sock: 'c' },
    { kind: 'close', by: 'isolated', sock: 'conn' },
    { kind: 'close', by: 'isolated', sock: 'srv' },
  ],
});
