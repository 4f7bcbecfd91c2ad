// pinger: ping socket (SOCK_DGRAM, IPPROTO_ICMPV6) ── echo request (tagged) ──► kernel on ::1
//                                                ◄── echo reply (same tag) ──┘
import { defineScenario } from '../harness/scenario/index.ts';

export default defineScenario({
  name: 'icmp-ping-v6',
  description: 'ICMP echo from an unprivileged-style ping socket to ::1; the reply is read on the same socket',
  processes: ['pinger'],
  steps: [
    { kind: 'socket', by: 'pinger', sock: 'p', family: 'inet6', type: 'dgram', proto: 58 },
    { kind: 'sendto', by: 'pinger', sock: 'p', to: { addr: '::1' }, size: 56 },
    { kind: 'recvfrom', by: 'pinger', sock: 'p', size: 56 },
    { kind: 'sendto', by: 'pinger', sock: 'p', to: { addr: '::1' }, size: 40 },
    { kind: 'recvfrom', by: 'pinger', sock: 'p', size: 40 },
    { kind: 'close', by: 'pinger', sock: 'p' },
  ],
});
