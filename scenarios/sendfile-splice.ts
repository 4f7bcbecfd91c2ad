// client: socket c, connect ──► server accepts conn
// client: fork ─► child (inherits c)
// CHILD sendfile() request on c ──► server splice() from conn into a pipe, read()s it
// server sendfile() reply on conn ──► PARENT (client) splice() from c
// (before 6.5 sendfile takes do_tcp_sendpages, not tcp_sendmsg; splice reads
// go through tcp_read_sock, not tcp_recvmsg: the sender and the reader must
// still be named, the child for the request, the parent for the reply)
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'sendfile-splice',
  description:
    'A forked child sends a request with sendfile() on a TCP socket it shares with its parent; the server reads it with splice() and replies with sendfile(); the parent reads the reply with splice()',
  processes: ['server', 'client'],
  steps: [
    ...tcpServer('server'),
    ...tcpConnect('client', 'c', 'server', 'conn'),
    { kind: 'fork', by: 'client', child: 'child' },
    { kind: 'send', by: 'child', sock: 'c', size: 64, via: 'sendfile' },
    { kind: 'recv', by: 'server', sock: 'conn', size: 64, via: 'splice' },
    { kind: 'send', by: 'server', sock: 'conn', size: 96, via: 'sendfile' },
    { kind: 'recv', by: 'client', sock: 'c', size: 96, via: 'splice' },
    { kind: 'close', by: 'child', sock: 'c' },
    { kind: 'close', by: 'client', sock: 'c' },
    { kind: 'close', by: 'server', sock: 'conn' },
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
