// server: socket srv, bind, listen
// client: socket c, connect ──► (handshake: the server's end exists, nobody has accepted it)
// client send ──► arrives BEFORE the server's accept()
// server accept conn, recv: it reads the bytes that were waiting (the READ of the accepting process names them)
// server send ──► client recv; closes
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'data-before-accept',
  description:
    "The client sends before the server accepts: the bytes that wait in the accept queue are the reader's, named by the READ of the process that accepts and reads them",
  processes: ['server', 'client'],
  steps: [
    ...tcpServer('server'),
    { kind: 'socket', by: 'client', sock: 'c', family: 'inet', type: 'stream' },
    { kind: 'connect', by: 'client', sock: 'c', to: { sock: 'srv' } },
    { kind: 'send', by: 'client', sock: 'c', size: 64 },
    { kind: 'sleep', by: 'client', ms: 20 },
    { kind: 'accept', by: 'server', sock: 'srv', as: 'conn' },
    { kind: 'recv', by: 'server', sock: 'conn', size: 64 },
    { kind: 'send', by: 'server', sock: 'conn', size: 48 },
    { kind: 'recv', by: 'client', sock: 'c', size: 48 },
    { kind: 'close', by: 'client', sock: 'c' },
    { kind: 'close', by: 'server', sock: 'conn' },
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
