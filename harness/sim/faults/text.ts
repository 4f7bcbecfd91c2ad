// Faults of the /dev/honet text alone: the same events as the PCAP-NG
// stream, written differently (a formatting bug, a reader that lost
// lines). The PCAP-NG stays the perfect one.
import type { TextFault } from './types.ts';

export const honetDisagrees: TextFault = {
  kind: 'text',
  name: 'honet-disagrees',
  models:
    'A text formatter that writes the wrong attribution word (by=) on one PAKT line and leaves out one READ, GAIN or LOSE line: the two streams of one sensor tell different stories.',
  appliesWhen: 'the capture has packets',
  notApplicable: ({ perfect }) => (perfect.events.some((e) => e.kind === 'packet') ? undefined : 'no packets'),
  expect: /^honet text and PCAP-NG disagree: /,
  apply: (honet, rng) => {
    const lines = honet.split('\n');
    const pakt = lines.map((l, i) => (/ PAKT /.test(l) ? i : -1)).filter((i) => i >= 0);
    const i = pakt[rng.int(0, pakt.length - 1)]!;
    lines[i] = lines[i]!.replace(/ by=(\w+)/, (_, w: string) => ` by=${w === 'holder' ? 'sender' : 'holder'}`);
    const uses = lines.map((l, k) => (/ (READ|GAIN|LOSE) /.test(l) ? k : -1)).filter((k) => k >= 0);
    if (uses.length > 0) lines.splice(uses[rng.int(0, uses.length - 1)]!, 1);
    return lines.join('\n');
  },
};
