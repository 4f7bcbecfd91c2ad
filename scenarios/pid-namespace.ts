// outer: unshare(CLONE_NEWPID); fork ─► nsinit (pid 1 of the new namespace)
// nsinit: socket srv, bind, listen; client (outside) connects; nsinit accepts conn
// nsinit forks ─► nschild (pid 2 inside); client send ──► nschild recv; nschild send ──► client recv
// (the sensor names processes by their global pids; the runner records both)
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'pid-namespace',
  description:
    'A server in a new pid namespace (unshare -p: its first process is pid 1 there) and its forked child: events and packets name the global pids, process blocks the pids inside the namespace',
  processes: ['outer', 'client'],
  steps: [
    { kind: 'pidns', by: 'outer' },
    { kind: 'fork', by: 'outer', child: 'nsinit' },
    ...tcpServer('nsinit'),
    ...tcpConnect('client', 'c', 'nsinit', 'conn'),
    { kind: 'fork', by: 'nsinit', child: 'nschild' },
    { kind: 'send', by: 'client', sock: 'c', size: 64 },
    { kind: 'recv', by: 'nschild', sock: 'conn', size: 64 },
    { kind: 'send', by: 'nschild', sock: 'conn', size: 48 },
    { kind: 'recv', by: 'client', sock: 'c', size: 48 },
    { kind: 'exit', by: 'nschild' },
    { kind: 'close', by: 'client', sock: 'c' },
    { kind: 'close', by: 'nsinit', sock: 'conn' },
    { kind: 'close', by: 'nsinit', sock: 'srv' },
  ],
});
