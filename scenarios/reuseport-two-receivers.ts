// r1: UDP a, SO_REUSEPORT, bind 127.0.0.1:45821; r2: UDP b, SO_REUSEPORT, the same port (one group)
// sender: UDP s; sendto b ──► r2 recvfrom; sendto a ──► r1 recvfrom; sendto b ──► r2 recvfrom
// (the runner steers each datagram to the member it names: a classic BPF program on the group)
import { defineScenario } from '../harness/scenario/index.ts';

export default defineScenario({
  name: 'reuseport-two-receivers',
  description:
    "Two processes in one SO_REUSEPORT group on one UDP port: each datagram is reported on the member socket that received it and read by that member's process",
  processes: ['r1', 'r2', 'sender'],
  steps: [
    { kind: 'socket', by: 'r1', sock: 'a', family: 'inet', type: 'dgram', reuseport: true },
    { kind: 'bind', by: 'r1', sock: 'a', addr: '127.0.0.1', port: 45821 },
    { kind: 'socket', by: 'r2', sock: 'b', family: 'inet', type: 'dgram', reuseport: true },
    { kind: 'bind', by: 'r2', sock: 'b', addr: '127.0.0.1', port: 45821 },
    { kind: 'socket', by: 'sender', sock: 's', family: 'inet', type: 'dgram' },
    { kind: 'sendto', by: 'sender', sock: 's', to: { sock: 'b' }, size: 48 },
    { kind: 'recvfrom', by: 'r2', sock: 'b', size: 48 },
    { kind: 'sendto', by: 'sender', sock: 's', to: { sock: 'a' }, size: 56 },
    { kind: 'recvfrom', by: 'r1', sock: 'a', size: 56 },
    { kind: 'sendto', by: 'sender', sock: 's', to: { sock: 'b' }, size: 40 },
    { kind: 'recvfrom', by: 'r2', sock: 'b', size: 40 },
    { kind: 'close', by: 'sender', sock: 's' },
    { kind: 'close', by: 'r2', sock: 'b' },
    { kind: 'close', by: 'r1', sock: 'a' },
  ],
});
