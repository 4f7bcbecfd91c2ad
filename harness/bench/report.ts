// bench/results.md: a table per measure with the target beside each figure,
// marked met or not. bench/results.json keeps every raw run.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchResults } from './run.ts';
import { fmt, summarize, type Summary, type Target } from './stats.ts';
import type { BootMeasure } from './boot.ts';
import type { CaptureCount, Capturing, OverheadMeasure } from './overhead.ts';
import { MODES } from './overhead.ts';
import { dropVerdicts } from './capacity.ts';

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
  for (const o of r.overhead.filter((x) => x.clock === 'icount')) t.push(...overheadTargets(o));
  for (const c of r.capacity) {
    const d = c.draining;
    const lost = d.dropped.packets + d.dropped.process + d.dropped.socket;
    t.push({
      what: `events lost by a draining reader (${d.forks} fork+exec+exit, ${d.datagrams} UDP, full snaplen), ${c.kernel}`,
      value: `${lost} (${d.delivered.packets} packets, ${d.delivered.process} process, ${d.delivered.socket} socket events delivered)`,
      target: '0',
      met: lost === 0,
    });
    for (const v of dropVerdicts(c.drops))
      t.push({
        what: `stopped reader, ${c.drops.datagrams}-datagram flood: ${v.what}, ${c.kernel}`,
        value: v.value,
        target: 'yes',
        met: v.ok,
      });
  }
  return t;
}

/** The detail row of one kernel's boot comparison, with where the harness's boot spent its time. */
export function bootDetailRow(b: BootMeasure): string {
  // older results.json files have no timeline
  const steps = Object.entries(b.stepsS ?? {})
    .map(([step, up]) => `${step} ${up.median.toFixed(2)}`)
    .join(', ');
  const bare = b.bareUptimeS ? `; bare prompt at uptime ${b.bareUptimeS.median.toFixed(2)} s` : '';
  const where = steps ? `${bare}; guest uptime s (median): ${steps}; SSH ${b.sshAfterReadyMs.median.toFixed(0)} ms after HONE-READY` : '';
  return `| boot ${b.kernel} | bare ${fmt(b.bareMs, 0, ' ms')} | ready ${fmt(b.readyMs, 0, ' ms')} | ${b.accel}, -smp ${b.smp}, -m ${b.memoryMiB}${where} |`;
}

/**
 * `hone bench --only boot`: the new boot figures merged into earlier
 * results, the other measures kept. results.json: the boot entries of the
 * kernels measured now replace theirs. results.md: only those kernels' two
 * boot rows (target and detail) are rewritten in place, so the notes written
 * under the generated tables stay; a row not there yet is added after the
 * last row of its kind (or the file is generated afresh if there is none).
 */
export function mergeBoot(earlier: BenchResults | undefined, now: BenchResults): BenchResults {
  if (!earlier) return now;
  const fresh = new Map(now.boot.map((b) => [b.kernel, b]));
  const boot = earlier.boot.map((b) => fresh.get(b.kernel) ?? b);
  for (const b of now.boot) if (!earlier.boot.some((e) => e.kernel === b.kernel)) boot.push(b);
  return { ...earlier, boot };
}

/** undefined when a row has no place in md (no row of its kind). */
export function replaceBootRows(md: string, now: BenchResults): string | undefined {
  const lines = md.split('\n');
  const targetRows = new Map(targets({ ...now, matrix: [], overhead: [], capacity: [] }).map((t) => [t.what, targetRow(t)]));
  for (const b of now.boot) {
    const target = `boot to ready / bare boot, ${b.kernel}`;
    const kin = (l: string) => l.startsWith('| boot to ready / bare boot, ');
    if (!upsert(lines, (l) => l.startsWith(`| ${target} |`), kin, targetRows.get(target) as string)) return undefined;
    if (
      !upsert(
        lines,
        (l) => l.startsWith(`| boot ${b.kernel} |`),
        (l) => /^\| boot \S+ \| bare /.test(l),
        bootDetailRow(b),
      )
    )
      return undefined;
  }
  return lines.join('\n');
}

export async function writeBenchResults(r: BenchResults, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'results.json'), `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(join(dir, 'results.md'), benchMarkdown(r));
}

export function benchMarkdown(r: BenchResults): string {
  const rows = targets(r).map(targetRow);
  const detail = [
    ...r.boot.map(bootDetailRow),
    ...r.matrix.map(
      (m) =>
        `| matrix ${m.cache} | ${(m.wallMs / 1000).toFixed(0)} s wall | ${Object.entries(m.phasesMs)
          .map(([p, ms]) => `${p} ${(ms / 1000).toFixed(0)} s`)
          .join(', ')} | phases summed over kernels (2 in parallel) |`,
    ),
    ...r.footprint.map(
      (f) =>
        `| footprint ${f.kernel} | smallest passing -m: ${f.smallestPassingMiB ?? 'none'} MiB | QEMU peak RSS ${f.qemuPeakRssMiB ?? '?'} MiB, harness ${f.harnessPeakRssMiB} MiB | tried ${f.tried.map((x) => `${x.memoryMiB}:${x.passed ? 'pass' : 'fail'}`).join(' ')} |`,
    ),
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
    ...(r.overhead.length
      ? [
          '## Sensor overhead, per kernel',
          '',
          'Loopback TCP in a 1-vCPU guest. `icount`: guest time from the instruction count (deterministic: compares code paths); `wall`: the host clock (what a user would see, noisy under TCG). Ratios are each run over the no-module run beside it; captures are per run: what the workload put through the hooks (2 x the loopback packets), what the capturer delivered and dropped by its own counters (tcpdump keeps one copy of each loopback packet: its share is of half that).',
          '',
          ...r.overhead.flatMap(overheadTable),
        ]
      : []),
    '## Details',
    '',
    '| | | | |',
    '| --- | --- | --- | --- |',
    ...detail,
    '',
  ].join('\n');
}

// --- internal ---

function targetRow(x: Target): string {
  return `| ${x.what} | ${x.value} | ${x.target} | ${x.met ? 'met' : 'NOT met'}${x.note ? ` (${x.note})` : ''} |`;
}

/** Replaces the line `is` matches, else inserts after the last line `kin` matches; neither: nothing. */
function upsert(lines: string[], is: (l: string) => boolean, kin: (l: string) => boolean, row: string): boolean {
  const at = lines.findIndex(is);
  if (at >= 0) {
    lines[at] = row;
    return true;
  }
  const last = lines.findLastIndex(kin);
  if (last < 0) return false;
  lines.splice(last + 1, 0, row);
  return true;
}

function overheadTargets(o: OverheadMeasure): Target[] {
  const k = o.kernel;
  const t: Target[] = [];
  for (const w of ['bulk', 'rr'] as const) {
    const ratio = w === 'bulk' ? o.bulkRatio : o.rrRatio;
    const name = w === 'bulk' ? 'bulk TCP' : 'request/response';
    const drops = (m: Capturing) => sum(o.captures[w][m] ?? [], (c) => c.dropped);
    t.push({
      what: `${name}: Hone at snaplen 96 with a draining reader / none, ${k}`,
      value: `${fmt(ratio.hone96)}; ${drops('hone96')} packets dropped`,
      target: '>= 0.95, 0 dropped',
      met: ratio.hone96.median >= 0.95 && drops('hone96') === 0,
    });
    t.push({
      what: `${name}: modules loaded, no reader / none, ${k}`,
      value: fmt(ratio.loaded),
      target: '>= 0.99',
      met: ratio.loaded.median >= 0.99,
    });
    t.push({
      what: `${name}: Hone at full snaplen vs tcpdump -w /dev/null (same run), ${k}`,
      value: `${ratio.hone.median.toFixed(2)} vs ${ratio.tcpdump.median.toFixed(2)}; ${drops('hone')} dropped (tcpdump ${drops('tcpdump')})`,
      target: '>= tcpdump, 0 dropped',
      met: ratio.hone.median >= ratio.tcpdump.median && drops('hone') === 0,
    });
    t.push({
      what: `${name}: Hone vs tcpdump at snaplen 96, and the share of packets each delivered, ${k}`,
      value: `${ratio.hone96.median.toFixed(2)} vs ${ratio.tcpdump96.median.toFixed(2)}; share ${share(o.captures[w].hone96, 1).toFixed(3)} vs ${share(o.captures[w].tcpdump96, 2).toFixed(3)}`,
      target: "Hone >= tcpdump, share >= tcpdump's",
      met: ratio.hone96.median >= ratio.tcpdump96.median && share(o.captures[w].hone96, 1) >= share(o.captures[w].tcpdump96, 2),
    });
  }
  return t;
}

function sum(xs: CaptureCount[], f: (c: CaptureCount) => number): number {
  return xs.reduce((n, c) => n + f(c), 0);
}

/** Delivered over what the capturer should keep (tcpdump keeps 1 of 2 loopback copies). */
function share(xs: CaptureCount[] | undefined, copiesPerKept: number): number {
  if (!xs?.length) return Number.NaN;
  return sum(xs, (c) => c.delivered) / (sum(xs, (c) => c.generated) / copiesPerKept);
}

function captureCell(xs: CaptureCount[] | undefined): string {
  if (!xs?.length) return '';
  const med = (f: (c: CaptureCount) => number): number => summarize(xs.map(f)).median;
  const events = xs[0]?.events ? `, events ${med((c) => c.events?.delivered ?? 0)}/${med((c) => c.events?.dropped ?? 0)} dropped` : '';
  return `generated ${med((c) => c.generated)}, delivered ${med((c) => c.delivered)}, dropped ${med((c) => c.dropped)}${events}`;
}

function overheadTable(o: OverheadMeasure): string[] {
  const row = (m: (typeof MODES)[number]): string => {
    const ratio = (x: Record<string, Summary>) => (m === 'none' ? '1' : (x[m] as Summary).median.toFixed(2));
    return `| ${m} | ${fmt(o.bulkMiBps[m], 1)} | ${ratio(o.bulkRatio)} | ${fmt(o.rrPerSecond[m], 0)} | ${ratio(o.rrRatio)} | ${o.rrP50us[m].median.toFixed(0)} / ${o.rrP99us[m].median.toFixed(0)} | ${m === 'none' || m === 'loaded' ? '' : `bulk: ${captureCell(o.captures.bulk[m])}; rr: ${captureCell(o.captures.rr[m])}`} |`;
  };
  return [
    `### ${o.kernel}, ${o.clock} (${o.bulkBytes >> 20} MiB bulk, ${o.rrCount} round trips${o.qemuPeakRssMiB ? `, QEMU peak RSS ${o.qemuPeakRssMiB} MiB` : ''})`,
    '',
    '| mode | bulk MiB/s | bulk ratio | rr/s | rr ratio | rr p50 / p99 µs | packets (median per run) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...MODES.map(row),
    '',
  ];
}
