// client: socket c, connect ──► server (conn); dup c as c2; close c (c2 keeps the client a holder:
//         no lose) ─► send on c2 ─► server reads
// client: socket e with cloexec (SOCK_CLOEXEC), connect ──► server (conn2); fork ─► child (gains c2, e)
// child: exec (the exec closes e: the child loses e via close, the client still holds it; c2 survives)
//        ─► send on c2 ─► server reads, answers on conn ─► child reads; then everyone closes
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'dup-and-close-on-exec',
  description: "Closing one of two dup'd descriptors keeps the process a holder; an exec closes only the close-on-exec socket",
  processes: ['server', 'client'],
  steps: [
    ...tcpServer('server'),
    { kind: 'socket', by: 'client', sock: 'c', family: 'inet', type: 'stream' },
    { kind: 'connect', by: 'client', sock: 'c', to: { sock: 'srv' } },
    { kind: 'accept', by: 'server', sock: 'srv', as: 'conn' },
    { kind: 'dup', by: 'client', sock: 'c', as: 'c2' },
    { kind: 'close', by: 'client', sock: 'c' },
    { kind: 'send', by: 'client', sock: 'c2', size: 64 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 64 },
    { kind: 'socket', by: 'client', sock: 'e', family: 'inet', type: 'stream', cloexec: true },
    { kind: 'connect', by: 'client', sock: 'e', to: { sock: 'srv' } },
    { kind: 'accept', by: 'server', sock: 'srv', as: 'conn2' },
    { kind: 'fork', by: 'client', child: 'child' },
    { kind: 'exec', by: 'child' },
    { kind: 'send', by: 'child', sock: 'c2', size: 64 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 64 },
    { kind: 'send', by: 'server', sock: 'conn', size: 64 },
    { kind: 'recv', by: 'child', sock: 'c2', size: 64 },
    { kind: 'close', by: 'child', sock: 'c2' },
    { kind: 'close', by: 'client', sock: 'c2' },
    { kind: 'close', by: 'client', sock: 'e' },
    { kind: 'close', by: 'server', sock: 'conn' },
    { kind: 'close', by: 'server', sock: 'conn2' },
  ],
});
