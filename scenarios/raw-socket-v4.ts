// raw: SOCK_RAW protocol 253 (experimental) ── datagram (tagged) ──► 127.0.0.1
//      the same raw socket receives its copy on the way in
import { defineScenario } from '../harness/scenario/index.ts';

export default defineScenario({
  name: 'raw-socket-v4',
  description: 'A raw IPv4 socket (protocol 253) sends to 127.0.0.1 and reads the datagram back',
  processes: ['raw'],
  steps: [
    { kind: 'socket', by: 'raw', sock: 'r', family: 'inet', type: 'raw', proto: 253 },
    { kind: 'sendto', by: 'raw', sock: 'r', to: { addr: '127.0.0.1' }, size: 60 },
    { kind: 'recvfrom', by: 'raw', sock: 'r', size: 60 },
    { kind: 'close', by: 'raw', sock: 'r' },
  ],
});
