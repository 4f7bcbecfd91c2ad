// client: socket c, connect ──► server accepts conn
// client send ──► server recv; server send ──► (client never reads it; its kernel ACKs it)
// client close with unread data ─► the kernel sends a RST from c (no FIN), labelled holder
// server close (its socket was reset: nothing more on the wire)
// (packets no process wrote: ACKs, the RST; none may name a process as sender)
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'kernel-sent-ack-rst',
  description:
    "The client closes a TCP socket with data it never read: the kernel resets the connection; ACKs and the RST are the kernel's, labelled by holder",
  processes: ['server', 'client'],
  steps: [
    ...tcpServer('server'),
    ...tcpConnect('client', 'c', 'server', 'conn'),
    { kind: 'send', by: 'client', sock: 'c', size: 64 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 64 },
    { kind: 'send', by: 'server', sock: 'conn', size: 72 },
    { kind: 'sleep', by: 'client', ms: 20 },
    { kind: 'close', by: 'client', sock: 'c' },
    { kind: 'close', by: 'server', sock: 'conn' },
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
