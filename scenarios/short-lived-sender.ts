// server: UDP socket bound to 127.0.0.1
// launcher: fork ─► burst: socket, sendto server, exit at once
// (sleep) server: recvfrom after the sender is gone
import { defineScenario } from '../harness/scenario/index.ts';

export default defineScenario({
  name: 'short-lived-sender',
  description: 'A process creates a UDP socket, sends one datagram and exits at once; the server reads it after the sender is gone',
  processes: ['server', 'launcher'],
  steps: [
    { kind: 'socket', by: 'server', sock: 'srv', family: 'inet', type: 'dgram' },
    { kind: 'bind', by: 'server', sock: 'srv', addr: '127.0.0.1' },
    { kind: 'fork', by: 'launcher', child: 'burst' },
    { kind: 'socket', by: 'burst', sock: 'b', family: 'inet', type: 'dgram' },
    { kind: 'sendto', by: 'burst', sock: 'b', to: { sock: 'srv' }, size: 64 },
    { kind: 'exit', by: 'burst', code: 7 },
    { kind: 'sleep', by: 'launcher', ms: 100 },
    { kind: 'recvfrom', by: 'server', sock: 'srv', size: 64 },
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
