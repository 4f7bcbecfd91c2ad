// pinger: ping socket (SOCK_DGRAM, IPPROTO_ICMP) ── echo request (tagged) ──► kernel on 127.0.0.1
//                                                ◄── echo reply (same tag) ──┘
import { defineScenario } from '../harness/scenario/index.ts';

export default defineScenario({
  name: 'icmp-ping-v4',
  description: 'ICMP echo from an unprivileged-style ping socket to 127.0.0.1; the reply is read on the same socket',
  processes: ['pinger'],
  steps: [
    { kind: 'socket', by: 'pinger', sock: 'p', family: 'inet', type: 'dgram', proto: 1 },
    { kind: 'sendto', by: 'pinger', sock: 'p', to: { addr: '127.0.0.1' }, size: 56 },
    { kind: 'recvfrom', by: 'pinger', sock: 'p', size: 56 },
    { kind: 'sendto', by: 'pinger', sock: 'p', to: { addr: '127.0.0.1' }, size: 40 },
    { kind: 'recvfrom', by: 'pinger', sock: 'p', size: 40 },
    { kind: 'close', by: 'pinger', sock: 'p' },
  ],
});
