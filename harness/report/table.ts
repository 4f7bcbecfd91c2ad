// The matrix as a table: scenarios down, kernels across.
import type { MatrixReport } from '../matrix/types.ts';
import { cell } from './cells.ts';

export function matrixRows(report: MatrixReport): string[][] {
  const kernels = report.kernels.map((k) => k.id);
  const scenarios = [...new Set(report.results.map((r) => r.scenario))];
  const find = (k: string, s: string) => report.results.find((r) => r.kernel === k && r.scenario === s);
  return [['scenario', ...kernels], ...scenarios.map((s) => [s, ...kernels.map((k) => cell(find(k, s)))])];
}

export function textTable(report: MatrixReport): string {
  const rows = matrixRows(report);
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((v, c) => v.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
}

export function markdownTable(report: MatrixReport): string {
  const rows = matrixRows(report);
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  const [head, ...body] = rows;
  if (!head) return '';
  return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n');
}
