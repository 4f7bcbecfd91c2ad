// Writing a matrix run's reports into the results folder.
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MatrixReport } from '../matrix/types.ts';
import { markdownTable } from './table.ts';
import { matrixTap } from './tap.ts';
import { matrixJunit } from './junit.ts';

export async function writeReports(report: MatrixReport, out: string): Promise<string[]> {
  await mkdir(out, { recursive: true });
  const files: [string, string][] = [
    ['matrix.json', `${JSON.stringify(report, null, 2)}\n`],
    ['matrix.md', matrixMarkdown(report)],
    ['matrix.tap', matrixTap(report)],
    ['junit.xml', matrixJunit(report)],
  ];
  for (const [name, text] of files) await writeFile(join(out, name), text);
  return files.map(([name]) => join(out, name));
}

export function matrixMarkdown(report: MatrixReport): string {
  const kernels = report.kernels
    .map(
      (k) =>
        `| ${k.id} | ${k.arch} | ${k.release ?? '-'} | ${k.version ?? '-'} | ${k.accel ?? '-'} | ${k.toolchain ?? '-'} | ${k.buildWarnings ?? '-'} | ${k.bootMs === null ? '-' : (k.bootMs / 1000).toFixed(1)} |`,
    )
    .join('\n');
  const problems = report.results.filter((r) => r.status !== 'pass');
  const phases = (['fetch', 'build', 'boot', 'scenarios', 'check'] as const).map(
    (p) => `${p} ${(report.kernels.reduce((n, k) => n + k.phasesMs[p], 0) / 1000).toFixed(0)} s`,
  );
  return [
    `# Hone kernel matrix (${report.startedAt}, ${(report.durationMs / 1000).toFixed(0)} s)`,
    '',
    '| kernel | arch | release | version | accel | toolchain | warnings | boot s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    kernels,
    '',
    markdownTable(report),
    '',
    `Time by phase, summed over kernels (kernels run in parallel): ${phases.join(', ')}.`,
    '',
    ...(problems.length
      ? [
          '## Not passing',
          '',
          ...problems.map(
            (r) => `- **${r.kernel} ${r.scenario}** (${r.status}): ${r.reasons[0] ?? ''}${r.repro ? ` — repro: \`${r.repro}\`` : ''}`,
          ),
        ]
      : []),
    '',
  ].join('\n');
}
