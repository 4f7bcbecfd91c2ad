// server: socket, bind 0.0.0.0:0 (unconnected)      client: socket (unbound)
//         recvfrom ◄──── sendto server's port on loopback (tagged)
//         sendto client's port ─────────────────────────► recvfrom
import { defineScenario } from '../harness/scenario/index.ts';

export default defineScenario({
  name: 'udp-any-v4',
  description: 'UDP: an unconnected server bound to 0.0.0.0 receives a datagram and answers with sendto, IPv4',
  processes: ['server', 'client'],
  steps: [
    { kind: 'socket', by: 'server', sock: 'srv', family: 'inet', type: 'dgram' },
    { kind: 'bind', by: 'server', sock: 'srv', addr: '0.0.0.0' },
    { kind: 'socket', by: 'client', sock: 'c', family: 'inet', type: 'dgram' },
    { kind: 'sendto', by: 'client', sock: 'c', to: { sock: 'srv' }, size: 48 },
    { kind: 'recvfrom', by: 'server', sock: 'srv', size: 48 },
    { kind: 'sendto', by: 'server', sock: 'srv', to: { sock: 'c' }, size: 80 },
    { kind: 'recvfrom', by: 'client', sock: 'c', size: 80 },
    { kind: 'sendto', by: 'client', sock: 'c', to: { sock: 'srv' }, size: 32 },
    { kind: 'recvfrom', by: 'server', sock: 'srv', size: 32 },
    { kind: 'close', by: 'client', sock: 'c' },
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
