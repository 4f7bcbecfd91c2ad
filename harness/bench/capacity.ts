// Event capacity, in one guest: bursts of processes (fork+exec+exit) and
// loopback datagrams with one reader draining the rings (nothing may be
// lost), and the exact-drop test of hone-bench: a stopped reader with a
// small ring beside a draining one with a big ring, over a datagram flood
// in a network namespace of its own and processes spread over it (the
// stopped reader's counted losses must equal what reached it minus what
// it got, by the draining reader's count; no process or socket event may
// be lost while the ring's reserve has room).
import { join } from 'node:path';
import type { Guest } from '../guest/guest.ts';
import type { PreparedKernel } from '../guest/prepare.ts';
import { startGuest } from '../guest/prepare.ts';
import type { Logger } from '../util/log.ts';
import { json } from './overhead.ts';

export interface DrainingMeasure {
  forks: number;
  datagrams: number;
  delivered: { packets: number; process: number; socket: number };
  dropped: { packets: number; process: number; socket: number };
}

/** hone-bench drops, as it prints it. */
export interface DropTest {
  datagrams: number;
  forks: number;
  generated: { packets: number; childEvents: number };
  truth: { packets: number; otherPacketsInWindow: number; ringDropped: number; sawEnd: number };
  stopped: {
    packets: number;
    packetsGot: number;
    childEvents: number;
    packetsDropped: number;
    processDropped: number;
    socketDropped: number;
    lossRecords: number;
    lossReported: number;
  };
  /** What reached each reader over the same interval: packets, process, socket. */
  seen: { stopped: number[]; draining: number[] };
}

export interface CapacityMeasure {
  kernel: string;
  draining: DrainingMeasure;
  drops: DropTest;
}

export async function measureCapacity(
  p: PreparedKernel,
  o: { forks: number; datagrams: number; out: string; logger: Logger },
): Promise<CapacityMeasure> {
  // one vCPU, as the overhead (overhead.ts)
  const guest = await startGuest(p, o.logger, {
    consoleFile: join(o.out, `${p.source.kernelId}-capacity-console.log`),
    smp: 1,
    icount: true,
  });
  try {
    await guest.check('while read ko; do insmod "$ko"; done < /etc/hone/hone.load');
    const draining = await drainingBurst(guest, o.forks, o.datagrams);
    o.logger(
      `capacity: draining reader lost ${draining.dropped.packets} packets, ${draining.dropped.process} process and ${draining.dropped.socket} socket events`,
    );
    const drops = (await json(guest, `hone-bench drops ${o.datagrams} 100`)) as unknown as DropTest;
    o.logger(
      `capacity: stopped reader counted ${drops.stopped.packetsDropped} packet drops; reached it ${drops.seen.stopped.join('/')}, reached the draining one ${drops.seen.draining.join('/')}`,
    );
    return { kernel: p.source.kernelId, draining, drops };
  } finally {
    await guest.shutdown();
  }
}

/** The exact-drop test's verdicts, each with its evidence. */
export function dropVerdicts(d: DropTest): { what: string; ok: boolean; value: string }[] {
  const s = d.stopped;
  return [
    {
      what: 'the draining reader (the truth) lost nothing and saw every packet of the flood',
      ok: d.truth.ringDropped === 0 && d.truth.packets === d.generated.packets && d.truth.sawEnd === 1,
      value: `${d.truth.packets} of ${d.generated.packets} packets, ${d.truth.ringDropped} lost`,
    },
    {
      what: 'what reached the stopped reader = what reached the draining one (packets, process, socket)',
      ok: d.seen.stopped.length === 3 && d.seen.stopped.every((x, i) => x === d.seen.draining[i]),
      value: `${d.seen.stopped.join('/')} vs ${d.seen.draining.join('/')}`,
    },
    {
      what: 'the stopped reader dropped packets, and no process or socket event',
      ok: s.packetsDropped > 0 && s.processDropped === 0 && s.socketDropped === 0 && s.childEvents === d.generated.childEvents,
      value: `${s.packetsDropped} packets dropped; ${s.processDropped} process, ${s.socketDropped} socket events dropped; ${s.childEvents} of ${d.generated.childEvents} process events of the flood's children kept`,
    },
    {
      what: 'counted drops = packets that reached it - packets it got',
      ok: s.packetsDropped === (d.seen.stopped[0] ?? -1) - packetsGot(d),
      value: `${s.packetsDropped} counted, ${(d.seen.stopped[0] ?? 0) - packetsGot(d)} = ${d.seen.stopped[0]} - ${packetsGot(d)}`,
    },
  ];
}

// --- internal ---

/** Packets the stopped reader found in its rings (all namespaces), by its own count. */
function packetsGot(d: DropTest): number {
  return d.stopped.packetsGot;
}

async function drainingBurst(guest: Guest, forks: number, datagrams: number): Promise<DrainingMeasure> {
  const out = '/tmp/cap.json';
  const pid = (await guest.check(`hone-bench capture /dev/hone 3600 --mmap --snaplen 0 >${out} 2>&1 & echo $!`)).stdout.trim();
  await guest.check(`for i in $(seq 50); do grep -q attached ${out} && exit 0; sleep 0.1; done; cat ${out}; exit 1`);
  await guest.check(`hone-bench fork-exec ${forks} >/dev/null && hone-bench udp-burst ${datagrams} >/dev/null; sleep 1`, {
    timeoutMs: 900000,
  });
  await guest.check(`kill -TERM ${pid}; for i in $(seq 600); do grep -q '"bytes"' ${out} && exit 0; sleep 0.1; done; cat ${out}; exit 1`);
  const last = JSON.parse((await guest.check(`tail -n 1 ${out}`)).stdout) as Record<string, Record<string, number>>;
  const n = (c: string, f: string) => Number(last[c]?.[f] ?? 0);
  return {
    forks,
    datagrams,
    delivered: { packets: n('packets', 'delivered'), process: n('process', 'delivered'), socket: n('socket', 'delivered') },
    dropped: { packets: n('packets', 'ringDropped'), process: n('process', 'ringDropped'), socket: n('socket', 'ringDropped') },
  };
}
