// JUnit XML for CI systems: a suite per kernel, a case per scenario; known
// gaps are reported as skipped with their reason.
import type { MatrixReport } from '../matrix/types.ts';

export function matrixJunit(report: MatrixReport): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="hone-matrix" time="${secs(report.durationMs)}">`];
  for (const k of report.kernels) {
    const rs = report.results.filter((r) => r.kernel === k.id);
    const failures = rs.filter((r) => r.status === 'fail').length;
    const errors = rs.filter((r) => r.status === 'crash' || r.status === 'infra').length;
    const skipped = rs.filter((r) => r.status === 'todo').length;
    out.push(`  <testsuite name="${esc(k.id)}" tests="${rs.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">`);
    for (const r of rs) {
      out.push(`    <testcase classname="${esc(k.id)}" name="${esc(r.scenario)}" time="${secs(r.durationMs)}">`);
      const body = esc(r.reasons.join('\n'));
      if (r.status === 'fail') out.push(`      <failure message="${esc(r.reasons[0] ?? 'wrong attribution')}">${body}</failure>`);
      if (r.status === 'crash')
        out.push(`      <error type="kernel-crash" message="${esc(r.reasons[0] ?? 'kernel crash')}">${body}</error>`);
      if (r.status === 'infra')
        out.push(`      <error type="infrastructure" message="${esc(r.reasons[0] ?? 'infrastructure')}">${body}</error>`);
      if (r.status === 'todo') out.push(`      <skipped message="${esc(`known gap: ${r.knownGap ?? ''}`)}"/>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

function esc(s: string): string {
  return s
    .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string)
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');
}

function secs(ms: number): string {
  return (ms / 1000).toFixed(3);
}
