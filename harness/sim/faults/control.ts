// Faults in the kernel's own packets of a scenario's TCP connections
// (handshake, FIN, RST): a sensor that loses them, or finds no socket for
// them, names nobody wrongly; only the truth's connects, closes and
// shutdowns say they must be there, and on which socket.
import { decodePacket } from '../../capture/packet.ts';
import type { SimEvent } from '../events.ts';
import { copyCapture, type EventFault } from './types.ts';

const control = (e: SimEvent) => e.kind === 'packet' && e.meta.role === 'control' && (!!e.meta.creator || !!e.meta.beforeAccept);
const hasControl = ({ perfect }: { perfect: { events: SimEvent[] } }) =>
  perfect.events.some(control) ? undefined : 'no TCP connection after the capture started';
const isRst = (e: SimEvent) => e.kind === 'packet' && (decodePacket(e.data)?.tcpFlags ?? '').includes('R');

export const dropControl: EventFault = {
  kind: 'events',
  name: 'drop-control',
  models:
    'A sensor that hooks only the paths where a process hands data to the kernel or takes it: every packet without data of a scenario connection is lost (handshake, ACKs, FIN), except the RST tcp_close sends from the closing task.',
  appliesWhen: 'the scenario makes a TCP connection after the capture started',
  notApplicable: hasControl,
  expect: /^missing (incoming|outgoing) TCP (SYN|SYN-ACK|ACK|FIN) /,
  apply: (ctx) =>
    copyCapture(
      ctx.perfect,
      ctx.perfect.events.filter((e) => !control(e) || isRst(e)),
    ),
};

export const controlNoSocket: EventFault = {
  kind: 'events',
  name: 'control-no-socket',
  models:
    "A socket lookup that only attributes packets a process sent or read: the kernel's own packets of a connection go out with no socket and label none, as if they were nobody's.",
  appliesWhen: 'the scenario makes a TCP connection after the capture started',
  notApplicable: hasControl,
  expect: /TCP \[[^\]]*\] packet \S+ -> \S+ at offset \d+ has no socket/,
  apply: (ctx) => {
    const c = copyCapture(ctx.perfect);
    for (const e of c.events) {
      if (e.kind !== 'packet' || !control(e)) continue;
      delete e.socketId;
      delete e.holders;
      e.attribution = 'none';
    }
    return c;
  },
};
