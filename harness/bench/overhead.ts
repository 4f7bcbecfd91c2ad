// Sensor overhead, inside one guest per kernel: loopback TCP bulk transfer
// and request/response with nothing capturing, with Hone's modules loaded
// but no reader, with Hone and a draining reader (mmap, the way a recorder
// reads) at snaplen 96 and at full snaplen, and with `tcpdump -w /dev/null`
// at the same two snaplens. Modes are interleaved run by run. Every
// capturing run records what the workload generated (the loopback device's
// own packet counter) beside what the capturer delivered and dropped, by its
// own counters; a capturer that did not really capture fails the bench.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Guest } from '../guest/guest.ts';
import type { PreparedKernel } from '../guest/prepare.ts';
import { startGuest } from '../guest/prepare.ts';
import { HoneError } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import { summarize, type Summary } from './stats.ts';

export const MODES = ['none', 'loaded', 'hone96', 'hone', 'tcpdump96', 'tcpdump'] as const;
export type Mode = (typeof MODES)[number];
export type Capturing = Exclude<Mode, 'none' | 'loaded'>;
export type Clock = 'icount' | 'wall';

/** What one capturing run saw, by the capturer's own counters. */
export interface CaptureCount {
  /** Packets the workload put through the hooks: 2 x loopback packets sent. */
  generated: number;
  delivered: number;
  dropped: number;
  /** Hone: process and socket events delivered and dropped too. */
  events?: { delivered: number; dropped: number };
  /** tcpdump: its "received by filter" (loopback: both copies of each packet). */
  receivedByFilter?: number;
}

export interface WorkloadRuns {
  value: Summary;
  captures: Partial<Record<Capturing, CaptureCount[]>>;
}

export interface OverheadMeasure {
  kernel: string;
  clock: Clock;
  bulkBytes: number;
  rrCount: number;
  bulkMiBps: Record<Mode, Summary>;
  rrPerSecond: Record<Mode, Summary>;
  rrP50us: Record<Mode, Summary>;
  rrP99us: Record<Mode, Summary>;
  /** Throughput of each mode over the no-module throughput of the same run. */
  bulkRatio: Record<Exclude<Mode, 'none'>, Summary>;
  rrRatio: Record<Exclude<Mode, 'none'>, Summary>;
  /** Per capturing mode and workload: every run's counts. */
  captures: { bulk: Partial<Record<Capturing, CaptureCount[]>>; rr: Partial<Record<Capturing, CaptureCount[]>> };
  /** Peak resident memory of this guest's QEMU process on the host (VmHWM). */
  qemuPeakRssMiB: number | null;
}

export interface OverheadOptions {
  runs: number;
  bulkBytes: number;
  rrCount: number;
  clock: Clock;
  out: string;
  logger: Logger;
}

export async function measureOverhead(p: PreparedKernel, o: OverheadOptions): Promise<OverheadMeasure> {
  const guest = await startGuest(p, o.logger, {
    consoleFile: join(o.out, `${p.source.kernelId}-overhead-${o.clock}-console.log`),
    // One vCPU: under TCG a cross-vCPU wakeup costs more than the work
    // itself, which would drown the sensor's cost in noise (and -icount needs it).
    smp: 1,
    icount: o.clock === 'icount',
  });
  try {
    await guest.check('while read ko; do insmod "$ko"; done < /etc/hone/hone.load');
    await unloadHone(guest);
    const bulk = emptyRuns();
    const rr = emptyRuns();
    const p50 = emptyRuns();
    const p99 = emptyRuns();
    const captures: OverheadMeasure['captures'] = { bulk: {}, rr: {} };
    // one unmeasured pass first: under TCG the first run of any code pays for its translation
    await json(guest, `hone-bench tcp-bulk ${o.bulkBytes}`);
    await json(guest, `hone-bench tcp-rr ${o.rrCount}`);
    for (let run = 0; run < o.runs; run++) {
      for (const mode of MODES) {
        const b = await workload(guest, mode, `hone-bench tcp-bulk ${o.bulkBytes}`);
        bulk[mode].push(Number(b.result.mibPerSecond));
        const r = await workload(guest, mode, `hone-bench tcp-rr ${o.rrCount}`);
        rr[mode].push(Number(r.result.perSecond));
        p50[mode].push(Number(r.result.p50us));
        p99[mode].push(Number(r.result.p99us));
        if (isCapturing(mode)) {
          (captures.bulk[mode] ??= []).push(b.capture as CaptureCount);
          (captures.rr[mode] ??= []).push(r.capture as CaptureCount);
        }
      }
      o.logger(
        `overhead (${o.clock}) run ${run + 1}/${o.runs}: bulk MiB/s ${MODES.map((m) => `${m} ${bulk[m].at(-1)?.toFixed(0)}`).join(', ')}; rr/s ${MODES.map((m) => `${m} ${rr[m].at(-1)?.toFixed(0)}`).join(', ')}`,
      );
    }
    return {
      kernel: p.source.kernelId,
      clock: o.clock,
      bulkBytes: o.bulkBytes,
      rrCount: o.rrCount,
      bulkMiBps: summaries(bulk),
      rrPerSecond: summaries(rr),
      rrP50us: summaries(p50),
      rrP99us: summaries(p99),
      bulkRatio: ratios(bulk),
      rrRatio: ratios(rr),
      captures,
      qemuPeakRssMiB: await peakRssMiB(guest.qemuPid),
    };
  } finally {
    await guest.shutdown();
  }
}

export function isCapturing(m: Mode): m is Capturing {
  return m !== 'none' && m !== 'loaded';
}

// --- internal ---

const honeModules = ['honeevent', 'hone_notify', 'packet_notify', 'socket_notify', 'process_notify'];

function emptyRuns(): Record<Mode, number[]> {
  return { none: [], loaded: [], hone96: [], hone: [], tcpdump96: [], tcpdump: [] };
}

function summaries(x: Record<Mode, number[]>): Record<Mode, Summary> {
  return Object.fromEntries(MODES.map((m) => [m, summarize(x[m])])) as Record<Mode, Summary>;
}

function ratios(x: Record<Mode, number[]>): Record<Exclude<Mode, 'none'>, Summary> {
  const out: Partial<Record<Exclude<Mode, 'none'>, Summary>> = {};
  for (const m of MODES) if (m !== 'none') out[m] = summarize(x[m].map((v, i) => v / (x.none[i] as number)));
  return out as Record<Exclude<Mode, 'none'>, Summary>;
}

/*
 * rmmod refuses (EAGAIN) while a module is in use: a reader that has not
 * finished closing. Retried for a few seconds; a module still in use then
 * fails the bench with its reference counts.
 */
async function unloadHone(guest: Guest): Promise<void> {
  await guest.check(
    `for m in ${honeModules.join(' ')}; do for i in $(seq 50); do rmmod $m 2>/dev/null && break; sleep 0.1; done; ` +
      `test -d /sys/module/$m && { grep . /sys/module/*/refcnt | grep -i hone; rmmod $m; exit 1; }; done; exit 0`,
  );
}

async function loadHone(guest: Guest): Promise<void> {
  await guest.check('tail -n 5 /etc/hone/hone.load | while read ko; do insmod "$ko"; done');
}

async function loPackets(guest: Guest): Promise<number> {
  return Number((await guest.check('cat /sys/class/net/lo/statistics/tx_packets')).stdout.trim());
}

/** One workload in one mode: the capturer started before it and stopped after. */
async function workload(guest: Guest, mode: Mode, cmd: string): Promise<{ result: Record<string, unknown>; capture?: CaptureCount }> {
  if (mode !== 'none' && !mode.startsWith('tcpdump')) await loadHone(guest);
  try {
    const stop = await startCapture(guest, mode);
    const before = await loPackets(guest);
    const result = await json(guest, cmd);
    const generated = 2 * ((await loPackets(guest)) - before);
    const capture = stop ? await stop(generated) : undefined;
    return { result, ...(capture ? { capture } : {}) };
  } finally {
    if (mode !== 'none' && !mode.startsWith('tcpdump')) await unloadHone(guest);
  }
}

type Stop = (generated: number) => Promise<CaptureCount>;

async function startCapture(guest: Guest, mode: Mode): Promise<Stop | undefined> {
  if (mode === 'none' || mode === 'loaded') return undefined;
  const snaplen = mode.endsWith('96') ? 96 : 0;
  if (mode.startsWith('tcpdump')) return startTcpdump(guest, snaplen);
  return startHoneReader(guest, snaplen);
}

/*
 * tcpdump in a busybox guest must keep root (-Z root: there is no tcpdump
 * user). -s 0 is tcpdump's own "whole packet" (262144).
 */
async function startTcpdump(guest: Guest, snaplen: number): Promise<Stop> {
  const pid = (await guest.check(`tcpdump -i lo -s ${snaplen} -w /dev/null -Z root >/tmp/tcpdump.log 2>&1 & echo $!`)).stdout.trim();
  await guest.check(
    'for i in $(seq 50); do grep -q "listening on" /tmp/tcpdump.log && exit 0; sleep 0.1; done; cat /tmp/tcpdump.log; exit 1',
  );
  return async (generated) => {
    await guest.check(`kill -INT ${pid}; for i in $(seq 100); do kill -0 ${pid} 2>/dev/null || exit 0; sleep 0.1; done; exit 1`);
    const log = (await guest.check('cat /tmp/tcpdump.log')).stdout;
    const count = (what: string) => Number(new RegExp(`(\\d+) packets? ${what}`).exec(log)?.[1] ?? Number.NaN);
    const c: CaptureCount = {
      generated,
      delivered: count('captured'),
      dropped: count('dropped by kernel'),
      receivedByFilter: count('received by filter'),
    };
    if (!(c.delivered > 0) || Number.isNaN(c.dropped)) {
      throw new HoneError('E_BENCH', `tcpdump did not really capture (its log: ${JSON.stringify(log.trim().slice(-300))})`, {
        kernel: guest.kernel,
      });
    }
    return c;
  };
}

async function startHoneReader(guest: Guest, snaplen: number): Promise<Stop> {
  const out = '/tmp/reader.json';
  const pid = (await guest.check(`hone-bench capture /dev/hone 3600 --mmap --snaplen ${snaplen} >${out} 2>&1 & echo $!`)).stdout.trim();
  await guest.check(`for i in $(seq 50); do grep -q attached ${out} && exit 0; sleep 0.1; done; cat ${out}; exit 1`);
  return async (generated) => {
    await guest.check(`kill -TERM ${pid}; for i in $(seq 600); do grep -q '"bytes"' ${out} && exit 0; sleep 0.1; done; cat ${out}; exit 1`);
    const last = JSON.parse((await guest.check(`tail -n 1 ${out}`)).stdout) as Record<string, Record<string, number>>;
    const n = (c: string, f: string) => Number(last[c]?.[f] ?? 0);
    const c: CaptureCount = {
      generated,
      delivered: n('packets', 'delivered'),
      dropped: n('packets', 'ringDropped'),
      events: {
        delivered: n('process', 'delivered') + n('socket', 'delivered'),
        dropped: n('process', 'ringDropped') + n('socket', 'ringDropped'),
      },
    };
    // the reader's own count of the records it took must match the kernel's
    if (!(c.delivered > 0) || n('records', 'packets') !== c.delivered) {
      throw new HoneError(
        'E_BENCH',
        `the Hone reader did not really capture: kernel says ${c.delivered} packets delivered, the reader counted ${n('records', 'packets')}`,
        { kernel: guest.kernel },
      );
    }
    return c;
  };
}

async function peakRssMiB(pid: number | undefined): Promise<number | null> {
  if (!pid) return null;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kib ? Math.round(Number(kib) / 1024) : null;
}

export async function json(guest: Guest, cmd: string): Promise<Record<string, unknown>> {
  const r = await guest.exec(cmd, { timeoutMs: 900000 });
  if (r.code !== 0) throw new HoneError('E_CHANNEL', `\`${cmd}\` failed in the guest: ${r.stderr.trim()}`, { kernel: guest.kernel });
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}
