// receiver: UDP socket r bound to 127.0.0.1; fork ─► child (inherits r)
// sender: UDP socket s
//   sendto r d1 ──► RECEIVER recvfrom
//   sendto r d2 ──► CHILD recvfrom
// (two processes read one socket: each datagram is named by the read block with its packet id)
import { defineScenario } from '../harness/scenario/index.ts';

export default defineScenario({
  name: 'udp-shared-two-receivers',
  description: 'A UDP socket shared by a process and its forked child: the first datagram is read by the parent, the second by the child',
  processes: ['receiver', 'sender'],
  steps: [
    { kind: 'socket', by: 'receiver', sock: 'r', family: 'inet', type: 'dgram' },
    { kind: 'bind', by: 'receiver', sock: 'r', addr: '127.0.0.1' },
    { kind: 'fork', by: 'receiver', child: 'child' },
    { kind: 'socket', by: 'sender', sock: 's', family: 'inet', type: 'dgram' },
    { kind: 'sendto', by: 'sender', sock: 's', to: { sock: 'r' }, size: 48 },
    { kind: 'recvfrom', by: 'receiver', sock: 'r', size: 48 },
    { kind: 'sendto', by: 'sender', sock: 's', to: { sock: 'r' }, size: 56 },
    { kind: 'recvfrom', by: 'child', sock: 'r', size: 56 },
    { kind: 'close', by: 'child', sock: 'r' },
    { kind: 'close', by: 'receiver', sock: 'r' },
    { kind: 'close', by: 'sender', sock: 's' },
  ],
});
