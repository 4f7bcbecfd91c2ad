// server: socket, bind :::0 (unconnected)      client: socket (unbound)
//         recvfrom ◄──── sendto server's port on loopback (tagged)
//         sendto client's port ─────────────────────────► recvfrom
import { defineScenario } from '../harness/scenario/index.ts';

export default defineScenario({
  name: 'udp-any-v6',
  description: 'UDP: an unconnected server bound to :: receives a datagram and answers with sendto, IPv6',
  processes: ['server', 'client'],
  steps: [
    { kind: 'socket', by: 'server', sock: 'srv', family: 'inet6', type: 'dgram' },
    { kind: 'bind', by: 'server', sock: 'srv', addr: '::' },
    { kind: 'socket', by: 'client', sock: 'c', family: 'inet6', type: 'dgram' },
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
