// TAP 14 for the matrix, a consumer of the event stream (matrix/events.ts):
// one test point per kernel and scenario, in the plan's kernel order. A
// known gap that still fails is `not ok ... # TODO <reason>`: visible, never
// counted as a pass, and not failing the run.
import { PlanOrder } from '../matrix/collect.ts';
import { consumer, type Consumer, type Handlers } from '../matrix/events.ts';
import type { ScenarioResult } from '../matrix/types.ts';

export function tapFormatter(): Consumer<string> {
  const order = new PlanOrder();
  const results: ScenarioResult[] = [];
  const h = {
    plan: (e) => order.plan(e.kernels),
    'phase-start': () => {},
    'phase-end': () => {},
    console: () => {},
    result: (e) => {
      results.push(e.result);
    },
    kernel: () => {},
    info: () => {},
    warning: () => {},
    done: () => {},
  } satisfies Handlers<void>;
  return consumer(h, () => tapText(order.sort(results, (r) => r.kernel)));
}

// --- internal ---

function tapText(results: ScenarioResult[]): string {
  const lines = ['TAP version 14', `1..${results.length}`];
  results.forEach((r, i) => {
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
