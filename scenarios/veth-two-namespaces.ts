// server: netns (its own network namespace); client: netns (another one)
// client: veth pair hv<N>a 10.77.0.1/24 (client's side) <-> hv<N>b 10.77.0.2/24 (server's side)
// server: TCP srv on 10.77.0.2, UDP u on 10.77.0.2; client connects over the veth pair, data both ways;
// client: UDP datagram to u (each copy in its own socket's namespace)
import { defineScenario } from '../harness/scenario/index.ts';

export default defineScenario({
  name: 'veth-two-namespaces',
  description:
    'TCP and UDP between two network namespaces over a veth pair: each packet is in the namespace of its socket, sender and reader named on both sides',
  processes: ['server', 'client'],
  steps: [
    { kind: 'netns', by: 'server' },
    { kind: 'netns', by: 'client' },
    { kind: 'veth', by: 'client', peer: 'server', addr: '10.77.0.1', peerAddr: '10.77.0.2' },
    { kind: 'socket', by: 'server', sock: 'srv', family: 'inet', type: 'stream' },
    { kind: 'bind', by: 'server', sock: 'srv', addr: '10.77.0.2' },
    { kind: 'listen', by: 'server', sock: 'srv' },
    { kind: 'socket', by: 'server', sock: 'u', family: 'inet', type: 'dgram' },
    { kind: 'bind', by: 'server', sock: 'u', addr: '10.77.0.2' },
    { kind: 'socket', by: 'client', sock: 'c', family: 'inet', type: 'stream' },
    { kind: 'connect', by: 'client', sock: 'c', to: { sock: 'srv' } },
    { kind: 'accept', by: 'server', sock: 'srv', as: 'conn' },
    { kind: 'send', by: 'client', sock: 'c', size: 64 },
    { kind: 'recv', by: 'server', sock: 'conn', size: 64 },
    { kind: 'send', by: 'server', sock: 'conn', size: 48 },
    { kind: 'recv', by: 'client', sock: 'c', size: 48 },
    { kind: 'socket', by: 'client', sock: 'd', family: 'inet', type: 'dgram' },
    { kind: 'sendto', by: 'client', sock: 'd', to: { sock: 'u' }, size: 56 },
    { kind: 'recvfrom', by: 'server', sock: 'u', size: 56 },
    { kind: 'close', by: 'client', sock: 'c' },
    { kind: 'close', by: 'server', sock: 'conn' },
    { kind: 'close', by: 'client', sock: 'd' },
    { kind: 'close', by: 'server', sock: 'u' },
    { kind: 'close', by: 'server', sock: 'srv' },
  ],
});
