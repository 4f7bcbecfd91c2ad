// parent: socket c, connect ──► server accepts conn; fork ─► child (inherits c)
// parent: send 40 bytes with MSG_MORE (held back in c's queue, nothing leaves)
// child:  send 40 bytes without it ─► both leave, usually in ONE segment, from the child's context
// server: recv 80 bytes (both tags)
// (the segment's first 40 bytes are the parent's, the rest the child's: only per-byte sender
//  runs attribute it right; "whoever was running when it left" names the child for all 80)
import { defineScenario } from '../harness/scenario/index.ts';
import { tcpConnect, tcpServer } from './_tcp.ts';

export default defineScenario({
  name: 'cork-released-by-later-write',
  description:
    "Bytes the parent sent with MSG_MORE are held in a shared TCP socket and leave with the child's later write, in one segment holding both processes' bytes",
  processes: ['server', 'parent'],
  steps: [
    ...tcpServer('server'),
    ...tcpConnect('parent', 'c', 'server', 'conn'),
    { kind: 'fork', by: 'parent', child: 'child' },
    { kind: 'send', by: 'parent', sock: 'c', size: 40, more: true },
    { kind: 'send', by: 'child', sock: 'c', size: 40 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 80 },
    { kind: 'close', by: 'child', sock: 'c' },
    { kind: 'close', by: 'parent', sock: 'c' },
    { kind: 'close', by: 'server', sock: 'conn' },
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
