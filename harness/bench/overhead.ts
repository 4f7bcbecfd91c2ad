// Sensor overhead and event capacity, inside one guest per kernel.
// Overhead: loopback TCP bulk transfer and request/response rate with no
// Hone module, with Hone loaded and one reader draining /dev/hone, and with
// `tcpdump -w /dev/null` on lo instead; modes interleaved run by run.
// Capacity: fork+exec+exit and UDP bursts with one draining reader (target:
// nothing lost), and with a second reader attached but stopped (its drops
// must equal what the draining reader got minus what it got, exactly).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Guest } from '../guest/guest.ts';
import type { PreparedKernel } from '../guest/prepare.ts';
import { startGuest } from '../guest/prepare.ts';
import { HoneError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { summarize, type Summary } from './stats.ts';

export type Mode = 'none' | 'hone' | 'tcpdump';

export interface OverheadMeasure {
  kernel: string;
  bulkBytes: number;
  rrCount: number;
  bulkMiBps: Record<Mode, Summary>;
  rrPerSecond: Record<Mode, Summary>;
  /** Throughput with Hone (or tcpdump) over throughput with nothing, per run. */
  bulkRatio: { hone: Summary; tcpdump: Summary };
  rrRatio: { hone: Summary; tcpdump: Summary };
  /** Peak resident memory of this guest's QEMU process on the host (VmHWM). */
  qemuPeakRssMiB: number | null;
}

export interface CapacityMeasure {
  kernel: string;
  forks: number;
  datagrams: number;
  draining: ReaderStats;
  /** A draining reader and a stopped one attached over the same burst. */
  pair: { draining: ReaderStats; stopped: ReaderStats; expectedDrops: number; countedDrops: number };
}

export interface ReaderStats {
  delivered: number;
  ringDropped: number;
  dropped: number;
}

export async function measureInGuest(
  p: PreparedKernel,
  o: { runs: number; bulkBytes: number; rrCount: number; forks: number; datagrams: number; capacity: boolean; out: string; logger: Logger },
): Promise<{ overhead: OverheadMeasure; capacity?: CapacityMeasure }> {
  const guest = await startGuest(p, o.logger, { consoleFile: join(o.out, `${p.kernel.id}-overhead-console.log`) });
  try {
    await guest.check('while read ko; do insmod "$ko"; done < /etc/hone/hone.load');
    await unloadHone(guest);
    const bulk: Record<Mode, number[]> = { none: [], hone: [], tcpdump: [] };
    const rr: Record<Mode, number[]> = { none: [], hone: [], tcpdump: [] };
    // one unmeasured pass first: under TCG the first run of any code pays for its translation
    await json(guest, `hone-bench tcp-bulk ${o.bulkBytes}`);
    await json(guest, `hone-bench tcp-rr ${o.rrCount}`);
    for (let run = 0; run < o.runs; run++) {
      for (const mode of ['none', 'hone', 'tcpdump'] as const) {
        const stop = await enter(guest, mode);
        bulk[mode].push(Number((await json(guest, `hone-bench tcp-bulk ${o.bulkBytes}`)).mibPerSecond));
        rr[mode].push(Number((await json(guest, `hone-bench tcp-rr ${o.rrCount}`)).perSecond));
        await stop();
      }
      o.logger(`overhead run ${run + 1}/${o.runs}: bulk MiB/s none ${bulk.none.at(-1)?.toFixed(0)}, hone ${bulk.hone.at(-1)?.toFixed(0)}, tcpdump ${bulk.tcpdump.at(-1)?.toFixed(0)}; rr/s none ${rr.none.at(-1)?.toFixed(0)}, hone ${rr.hone.at(-1)?.toFixed(0)}, tcpdump ${rr.tcpdump.at(-1)?.toFixed(0)}`);
    }
    const ratio = (a: number[], b: number[]) => summarize(a.map((x, i) => x / (b[i] as number)));
    const overhead: OverheadMeasure = {
      kernel: p.kernel.id,
      bulkBytes: o.bulkBytes,
      rrCount: o.rrCount,
      bulkMiBps: { none: summarize(bulk.none), hone: summarize(bulk.hone), tcpdump: summarize(bulk.tcpdump) },
      rrPerSecond: { none: summarize(rr.none), hone: summarize(rr.hone), tcpdump: summarize(rr.tcpdump) },
      bulkRatio: { hone: ratio(bulk.hone, bulk.none), tcpdump: ratio(bulk.tcpdump, bulk.none) },
      rrRatio: { hone: ratio(rr.hone, rr.none), tcpdump: ratio(rr.tcpdump, rr.none) },
      qemuPeakRssMiB: null,
    };
    if (!o.capacity) {
      overhead.qemuPeakRssMiB = await peakRssMiB(guest.qemuPid);
      return { overhead };
    }
    const capacity = await measureCapacity(guest, p.kernel.id, o.forks, o.datagrams);
    overhead.qemuPeakRssMiB = await peakRssMiB(guest.qemuPid);
    o.logger(`capacity: draining reader lost ${capacity.draining.ringDropped}; stopped reader counted ${capacity.pair.countedDrops} drops, expected ${capacity.pair.expectedDrops}`);
    return { overhead, capacity };
  } finally {
    await guest.shutdown();
  }
}

// --- internal ---

const honeModules = ['honeevent', 'hone_notify', 'packet_notify', 'socket_notify', 'process_notify'];

async function unloadHone(guest: Guest): Promise<void> {
  await guest.check(`for m in ${honeModules.join(' ')}; do rmmod $m; done`);
}

async function loadHone(guest: Guest): Promise<void> {
  await guest.check('tail -n 5 /etc/hone/hone.load | while read ko; do insmod "$ko"; done');
}

/** Puts the guest in a mode; returns what leaves it. */
async function enter(guest: Guest, mode: Mode): Promise<() => Promise<void>> {
  if (mode === 'none') return async () => {};
  if (mode === 'tcpdump') {
    const pid = (await guest.check('tcpdump -i lo -w /dev/null -U >/tmp/tcpdump.log 2>&1 & echo $!; sleep 1')).stdout.trim();
    return async () => {
      await guest.check(`kill ${pid}; sleep 0.5`);
    };
  }
  await loadHone(guest);
  const pid = await startReader(guest, '/tmp/reader.json', false);
  return async () => {
    await stopReader(guest, pid, '/tmp/reader.json');
    await unloadHone(guest);
  };
}

async function startReader(guest: Guest, out: string, stopped: boolean): Promise<string> {
  const pid = (await guest.check(`hone-bench capture /dev/hone 3600 ${stopped ? '--stopped' : ''} >${out} 2>&1 & echo $!`)).stdout.trim();
  await guest.check(`for i in $(seq 50); do grep -q attached ${out} && exit 0; sleep 0.1; done; exit 1`);
  return pid;
}

async function stopReader(guest: Guest, pid: string, out: string): Promise<ReaderStats> {
  await guest.check(`kill -TERM ${pid}; for i in $(seq 600); do grep -q '"bytes"' ${out} && exit 0; sleep 0.1; done; cat ${out}; exit 1`);
  const last = JSON.parse((await guest.check(`tail -n 1 ${out}`)).stdout) as Record<string, Record<string, number>>;
  const sum = (field: string) => ['packets', 'process', 'socket'].reduce((n, c) => n + Number(last[c]?.[field] ?? 0), 0);
  return { delivered: sum('delivered'), ringDropped: sum('ringDropped'), dropped: sum('dropped') };
}

async function measureCapacity(guest: Guest, kernel: string, forks: number, datagrams: number): Promise<CapacityMeasure> {
  await loadHone(guest);
  try {
    const burst = `hone-bench fork-exec ${forks} >/dev/null && hone-bench udp-burst ${datagrams} >/dev/null; sleep 1`;
    const a = await startReader(guest, '/tmp/cap-a.json', false);
    await guest.check(burst, { timeoutMs: 600000 });
    const draining = await stopReader(guest, a, '/tmp/cap-a.json');

    const d = await startReader(guest, '/tmp/cap-d.json', false);
    const s = await startReader(guest, '/tmp/cap-s.json', true);
    await guest.check(burst, { timeoutMs: 600000 });
    // stop the stopped reader first: both then saw the same events, give or take the stop itself
    const stopped = await stopReader(guest, s, '/tmp/cap-s.json');
    const drainingToo = await stopReader(guest, d, '/tmp/cap-d.json');
    return {
      kernel,
      forks,
      datagrams,
      draining,
      pair: {
        draining: drainingToo,
        stopped,
        expectedDrops: drainingToo.delivered + drainingToo.ringDropped - stopped.delivered,
        countedDrops: stopped.ringDropped,
      },
    };
  } finally {
    await unloadHone(guest).catch(() => undefined);
  }
}

async function peakRssMiB(pid: number | undefined): Promise<number | null> {
  if (!pid) return null;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kib ? Math.round(Number(kib) / 1024) : null;
}

async function json(guest: Guest, cmd: string): Promise<Record<string, unknown>> {
  const r = await guest.exec(cmd, { timeoutMs: 600000 });
  if (r.code !== 0) throw new HoneError('E_CHANNEL', `\`${cmd}\` failed in the guest: ${r.stderr.trim()}`, { kernel: guest.kernel });
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}
