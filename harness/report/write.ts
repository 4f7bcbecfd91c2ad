// A matrix run's files in the results folder, all from its event stream
// (matrix/events.ts): events.jsonl (the stream itself, one event a line,
// written as it comes: `tail -f` it), matrix.json (the collected report),
// matrix.md (rendered from that report), matrix.tap and junit.xml (their
// own consumers).
import { createWriteStream, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectReport } from '../matrix/collect.ts';
import type { EventSink } from '../matrix/events.ts';
import type { MatrixReport } from '../matrix/types.ts';
import { markdownTable } from './table.ts';
import { tapFormatter } from './tap.ts';
import { junitFormatter } from './junit.ts';

export interface ReportFiles {
  on: EventSink;
  /** Writes the reports (after the done event) and closes events.jsonl; the files written. */
  write(): Promise<string[]>;
}

export function reportFiles(out: string): ReportFiles {
  mkdirSync(out, { recursive: true });
  const jsonl = createWriteStream(join(out, 'events.jsonl'));
  const report = collectReport();
  const tap = tapFormatter();
  const junit = junitFormatter();
  return {
    on: (e) => {
      jsonl.write(`${JSON.stringify(e)}\n`);
      report.on(e);
      tap.on(e);
      junit.on(e);
    },
    write: async () => {
      await new Promise<void>((resolve, reject) => jsonl.end((err?: Error | null) => (err ? reject(err) : resolve())));
      const r = report.value();
      const files: [string, string][] = [
        ['matrix.json', `${JSON.stringify(r, null, 2)}\n`],
        ['matrix.md', matrixMarkdown(r)],
        ['matrix.tap', tap.value()],
        ['junit.xml', junit.value()],
      ];
      for (const [name, text] of files) await writeFile(join(out, name), text);
      return ['events.jsonl', ...files.map(([name]) => name)].map((name) => join(out, name));
    },
  };
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
