// Shared steps: a TCP server on loopback. Files starting with _ are not scenarios.
import type { Family, Step } from '../harness/scenario/index.ts';

/** server: socket srv, bind loopback, listen. */
export function tcpServer(by: string, family: Family = 'inet'): Step[] {
  return [
    { kind: 'socket', by, sock: 'srv', family, type: 'stream' },
    { kind: 'bind', by, sock: 'srv', addr: family === 'inet' ? '127.0.0.1' : '::1' },
    { kind: 'listen', by, sock: 'srv' },
  ];
}

/** `by` opens `sock` and connects it to srv; the server accepts it as `as`. */
export function tcpConnect(by: string, sock: string, server: string, as: string, family: Family = 'inet'): Step[] {
  return [
    { kind: 'socket', by, sock, family, type: 'stream' },
    { kind: 'connect', by, sock, to: { sock: 'srv' } },
    { kind: 'accept', by: server, sock: 'srv', as },
  ];
}
