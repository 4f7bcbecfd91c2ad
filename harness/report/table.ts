// The matrix as a table: scenarios down, kernels across (each kernel's
// architecture in the row under their names).
import { cases, type MatrixReport } from '../matrix/types.ts';
import { caseCell } from './cells.ts';

export function matrixRows(report: MatrixReport): string[][] {
  const kernels = report.kernels.map((k) => k.id);
  const scenarios = [...new Set(report.results.map((r) => r.scenario))];
  const all = cases(report.results);
  const find = (k: string, s: string) => all.find((c) => c.kernel === k && c.scenario === s)?.runs ?? [];
  const arch = report.kernels.map((k) => k.arch);
  return [['scenario', ...kernels], ['(arch)', ...arch], ...scenarios.map((s) => [s, ...kernels.map((k) => caseCell(find(k, s)))])];
}

/**
 * With --repeat N: every case that did not pass each of its runs, with its
 * flake rate (runs not passed / runs) and its first reason; and one summary
 * line over all runs.
 */
export function flakeReport(report: MatrixReport): string[] {
  const all = cases(report.results);
  const n = report.repeat ?? 1;
  const runs = report.results.length;
  const notPassed = report.results.filter((r) => r.status !== 'pass').length;
  const flaky = all.filter((c) => c.notPassed > 0);
  const lines = flaky.map((c) => {
    const first = c.runs.find((r) => r.status !== 'pass')!;
    const rate = Math.round((100 * c.notPassed) / c.runs.length);
    return `  ${c.kernel} ${c.scenario}: ${c.notPassed} of ${c.runs.length} runs not passed (${rate}%), first: ${first.status} ${first.reasons[0] ?? ''}`;
  });
  return [
    `repeat: ${all.length} cases x ${n} runs = ${runs} results: ${runs - notPassed} passed, ${notPassed} not passed; ${flaky.length} case${flaky.length === 1 ? '' : 's'} with a non-pass (flake rate over all runs ${runs === 0 ? 0 : ((100 * notPassed) / runs).toFixed(1)}%)`,
    ...lines,
  ];
}

export function textTable(report: MatrixReport): string {
  const rows = matrixRows(report);
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((v, c) => v.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function markdownTable(report: MatrixReport): string {
  const rows = matrixRows(report);
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  const [head, ...body] = rows;
  if (!head) return '';
  return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n');
}
