// bench/results.md: a table per measure with the target beside each figure,
// marked met or not. bench/results.json keeps every raw run.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchResults } from './run.ts';
import { fmt, type Target } from './stats.ts';

export function targets(r: BenchResults): Target[] {
  const t: Target[] = [];
  for (const b of r.boot) {
    t.push({ what: `boot to ready / bare boot, ${b.kernel}`, value: fmt(b.ratio), target: '<= 1.15', met: b.ratio.median <= 1.15 });
  }
  for (const m of r.matrix) {
    const full = m.kernels === 6;
    const limit = m.cache === 'warm' ? 180 : 720;
    t.push({
      what: `matrix wall time, ${m.cache} cache, ${m.kernels} kernel(s) x ${m.scenarios} scenarios`,
      value: `${(m.wallMs / 1000).toFixed(0)} s${m.passed ? '' : ' (matrix did not pass)'}`,
      target: `<= ${limit} s${full ? '' : ' (for the 6-kernel matrix)'}`,
      met: full && m.wallMs / 1000 <= limit,
      ...(full ? {} : { note: 'not the full matrix (--quick or --kernel): not judged' }),
    });
  }
  for (const o of r.overhead) {
    t.push({ what: `bulk TCP throughput with Hone / none, ${o.kernel}`, value: fmt(o.bulkRatio.hone), target: '>= 0.95', met: o.bulkRatio.hone.median >= 0.95 });
    t.push({ what: `request/response rate with Hone / none, ${o.kernel}`, value: fmt(o.rrRatio.hone), target: '>= 0.95', met: o.rrRatio.hone.median >= 0.95 });
    t.push({
      what: `Hone costs less than tcpdump (bulk, rr), ${o.kernel}`,
      value: `bulk ${o.bulkRatio.hone.median.toFixed(2)} vs ${o.bulkRatio.tcpdump.median.toFixed(2)}, rr ${o.rrRatio.hone.median.toFixed(2)} vs ${o.rrRatio.tcpdump.median.toFixed(2)}`,
      target: 'Hone ratio > tcpdump ratio',
      met: o.bulkRatio.hone.median > o.bulkRatio.tcpdump.median && o.rrRatio.hone.median > o.rrRatio.tcpdump.median,
    });
  }
  for (const c of r.capacity) {
    t.push({ what: `events lost by a draining reader (${c.forks} fork+exec+exit, ${c.datagrams} UDP), ${c.kernel}`, value: String(c.draining.ringDropped), target: '0', met: c.draining.ringDropped === 0 });
    t.push({
      what: `stopped reader: counted drops = events generated - delivered, ${c.kernel}`,
      value: `${c.pair.countedDrops} counted, ${c.pair.expectedDrops} expected`,
      target: 'equal',
      met: c.pair.countedDrops === c.pair.expectedDrops,
    });
  }
  return t;
}

export async function writeBenchResults(r: BenchResults, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'results.json'), `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(join(dir, 'results.md'), benchMarkdown(r));
}

export function benchMarkdown(r: BenchResults): string {
  const rows = targets(r).map((x) => `| ${x.what} | ${x.value} | ${x.target} | ${x.met ? 'met' : 'NOT met'}${x.note ? ` (${x.note})` : ''} |`);
  const detail = [
    ...r.boot.map((b) => `| boot ${b.kernel} | bare ${fmt(b.bareMs, 0, ' ms')} | ready ${fmt(b.readyMs, 0, ' ms')} | ${b.accel}, -smp ${b.smp}, -m ${b.memoryMiB} |`),
    ...r.overhead.map((o) => `| overhead ${o.kernel} | bulk MiB/s none ${fmt(o.bulkMiBps.none, 0)}, hone ${fmt(o.bulkMiBps.hone, 0)}, tcpdump ${fmt(o.bulkMiBps.tcpdump, 0)} | rr/s none ${fmt(o.rrPerSecond.none, 0)}, hone ${fmt(o.rrPerSecond.hone, 0)}, tcpdump ${fmt(o.rrPerSecond.tcpdump, 0)} | ${o.bulkBytes >> 20} MiB, ${o.rrCount} round trips |`),
    ...r.matrix.map((m) => `| matrix ${m.cache} | ${(m.wallMs / 1000).toFixed(0)} s wall | ${Object.entries(m.phasesMs).map(([p, ms]) => `${p} ${(ms / 1000).toFixed(0)} s`).join(', ')} | phases summed over kernels (2 in parallel) |`),
    ...r.footprint.map((f) => `| footprint ${f.kernel} | smallest passing -m: ${f.smallestPassingMiB ?? 'none'} MiB | QEMU peak RSS ${f.qemuPeakRssMiB ?? '?'} MiB, harness ${f.harnessPeakRssMiB} MiB | tried ${f.tried.map((x) => `${x.memoryMiB}:${x.passed ? 'pass' : 'fail'}`).join(' ')} |`),
  ];
  return [
    `# Hone benchmarks (${r.startedAt}${r.quick ? ', --quick' : ''})`,
    '',
    `Machine: ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.cpu}, Node ${r.machine.node}; accelerator ${r.accel}. Kernels: ${r.kernels.map((k) => `${k.id} (${k.release})`).join(', ')}. Bench wall time ${(r.durationMs / 1000).toFixed(0)} s. Figures are median (min, max, n) over runs measured side by side.`,
    '',
    '| measure | value | target | |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    '## Details',
    '',
    '| | | | |',
    '| --- | --- | --- | --- |',
    ...detail,
    '',
  ].join('\n');
}
