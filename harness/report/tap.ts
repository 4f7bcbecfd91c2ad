// TAP 14 for the matrix: one test point per kernel and scenario. A known gap
// that still fails is `not ok ... # TODO <reason>`: visible, never counted as
// a pass, and not failing the run.
import type { MatrixReport } from '../matrix/types.ts';

export function matrixTap(report: MatrixReport): string {
  const lines = ['TAP version 14', `1..${report.results.length}`];
  report.results.forEach((r, i) => {
    const name = `${r.kernel} ${r.scenario}`;
    const ok = r.status === 'pass';
    const directive = r.status === 'todo' ? ` # TODO ${r.knownGap ?? 'known gap'}` : '';
    lines.push(`${ok ? 'ok' : 'not ok'} ${i + 1} - ${name} [${r.status}]${directive}`);
    if (!ok) {
      lines.push('  ---');
      lines.push(`  status: ${r.status}`);
      lines.push(`  packets: ${JSON.stringify(r.packets)}`);
      lines.push(`  events: ${JSON.stringify(r.events)}`);
      if (r.repro) lines.push(`  repro: ${JSON.stringify(r.repro)}`);
      lines.push('  reasons:');
      for (const reason of r.reasons.slice(0, 8)) lines.push(`    - ${JSON.stringify(reason)}`);
      lines.push('  ...');
    }
  });
  return `${lines.join('\n')}\n`;
}
