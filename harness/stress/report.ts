// The stress run's results: JSON, a Markdown table (fault x kernel) with the
// details below it, a short text summary, and the overall verdict.
import type { FaultStatus } from './lines.ts';

export interface FaultResult {
  kernel: string;
  fault: string;
  status: FaultStatus;
  detail: string;
  durationMs: number;
  /** Kernel log splat lines, and the program's notes on stderr. */
  splats: string[];
  notes: string[];
}

export interface StressKernel {
  id: string;
  release?: string;
  version?: string;
  accel?: string;
  /** Guest boots this kernel needed (a crash or hang reboots it). */
  boots: number;
}

export interface StressReport {
  startedAt: string;
  durationMs: number;
  faults: { name: string; what: string }[];
  kernels: StressKernel[];
  results: FaultResult[];
}

/** All faults on all kernels passed, and something was run. */
export function stressPassed(r: StressReport): boolean {
  return r.results.length > 0 && r.results.every((x) => x.status === 'pass');
}

const cell: Record<FaultStatus, string> = { pass: 'PASS', fail: 'FAIL', crash: 'CRASH', infra: 'INFRA' };

function result(r: StressReport, fault: string, kernel: string): FaultResult | undefined {
  return r.results.find((x) => x.fault === fault && x.kernel === kernel);
}

export function stressTable(r: StressReport): string {
  const ks = r.kernels.map((k) => k.id);
  const head = `| fault | ${ks.join(' | ')} |`;
  const rule = `| --- | ${ks.map(() => '---').join(' | ')} |`;
  const rows = r.faults.map(
    (f) =>
      `| ${f.name} | ${ks
        .map((k) => {
          const x = result(r, f.name, k);
          return x ? `${cell[x.status]} (${(x.durationMs / 1000).toFixed(0)} s)` : '-';
        })
        .join(' | ')} |`,
  );
  return [head, rule, ...rows].join('\n');
}

export function stressMarkdown(r: StressReport): string {
  const kernels = r.kernels.map((k) => `| ${k.id} | ${k.release ?? '-'} | ${k.version ?? '-'} | ${k.accel ?? '-'} | ${k.boots} |`);
  const details = r.kernels.flatMap((k) => [
    `### ${k.id}`,
    '',
    ...r.faults.flatMap((f) => {
      const x = result(r, f.name, k.id);
      if (!x) return [];
      return [`- **${f.name}** ${cell[x.status]}: ${escape(x.detail)}`, ...x.splats.slice(0, 5).map((l) => `  - \`${escape(l)}\``)];
    }),
    '',
  ]);
  return [
    `# Hone stress suite (${r.startedAt}, ${(r.durationMs / 1000).toFixed(0)} s)`,
    '',
    `Verdict: ${stressPassed(r) ? 'every fault passed on every kernel' : 'NOT all passed'}.`,
    '',
    '| kernel | release | version | accel | boots |',
    '| --- | --- | --- | --- | --- |',
    ...kernels,
    '',
    stressTable(r),
    '',
    '## Faults',
    '',
    ...r.faults.map((f) => `- **${f.name}**: ${f.what}`),
    '',
    '## What happened',
    '',
    ...details,
  ].join('\n');
}

/** One line per result that did not pass, then the count. */
export function stressSummary(r: StressReport): string[] {
  const bad = r.results.filter((x) => x.status !== 'pass');
  const lines = bad.map((x) => `${cell[x.status]} ${x.kernel} ${x.fault}: ${x.detail}`);
  lines.push(
    `stress: ${r.results.length - bad.length} of ${r.results.length} passed on ${r.kernels.length} kernel(s)${bad.length ? `, ${bad.length} not` : ''}`,
  );
  return lines;
}

function escape(s: string): string {
  return s.replaceAll('|', '\\|');
}
