// server: socket, bind 127.0.0.1:0, listen ─── client: socket, connect
//         accept ◄──────────── handshake ────────────┘
//         recv   ◄──────────── data (tagged) ─────── send
//         send   ─────────────  data (tagged) ─────► recv
import { defineScenario } from '../harness/scenario/index.ts';

export default defineScenario({
  name: 'tcp-loopback-v4',
  description: 'TCP connect/accept over IPv4 loopback, one tagged message each way, then both sides close',
  processes: ['server', 'client'],
  steps: [
    { kind: 'socket', by: 'server', sock: 'srv', family: 'inet', type: 'stream' },
    { kind: 'bind', by: 'server', sock: 'srv', addr: '127.0.0.1' },
    { kind: 'listen', by: 'server', sock: 'srv' },
    { kind: 'socket', by: 'client', sock: 'c', family: 'inet', type: 'stream' },
    { kind: 'connect', by: 'client', sock: 'c', to: { sock: 'srv' } },
    { kind: 'accept', by: 'server', sock: 'srv', as: 'conn' },
    { kind: 'send', by: 'client', sock: 'c', size: 64 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 64 },
    { kind: 'send', by: 'server', sock: 'conn', size: 100 },
    { kind: 'recv', by: 'client', sock: 'c', size: 100 },
    { kind: 'close', by: 'client', sock: 'c' },
    { kind: 'close', by: 'server', sock: 'conn' },
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
