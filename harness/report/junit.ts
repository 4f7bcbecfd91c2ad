// JUnit XML for CI systems, a consumer of the event stream
// (matrix/events.ts): a suite per kernel (each kernel that finished, in the
// plan's order), a case per scenario; known gaps are reported as skipped
// with their reason.
import { PlanOrder } from '../matrix/collect.ts';
import { consumer, type Consumer, type Handlers } from '../matrix/events.ts';
import type { ScenarioResult } from '../matrix/types.ts';

export function junitFormatter(): Consumer<string> {
  const order = new PlanOrder();
  const kernels: string[] = [];
  const results: ScenarioResult[] = [];
  let started = 0;
  let ended = 0;
  const h = {
    plan: (e) => {
      order.plan(e.kernels);
      started = e.at;
    },
    'phase-start': () => {},
    'phase-end': () => {},
    console: () => {},
    result: (e) => {
      results.push(e.result);
    },
    kernel: (e) => {
      kernels.push(e.run.id);
    },
    info: () => {},
    warning: () => {},
    done: (e) => {
      ended = e.at;
    },
  } satisfies Handlers<void>;
  return consumer(h, () =>
    junitText(
      order.sort(kernels, (k) => k),
      results,
      Math.max(0, ended - started),
    ),
  );
}

// --- internal ---

function junitText(kernels: string[], results: ScenarioResult[], durationMs: number): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="hone-matrix" time="${secs(durationMs)}">`];
  for (const k of kernels) {
    const rs = results.filter((r) => r.kernel === k);
    const failures = rs.filter((r) => r.status === 'fail').length;
    const errors = rs.filter((r) => r.status === 'crash' || r.status === 'infra').length;
    const skipped = rs.filter((r) => r.status === 'todo').length;
    out.push(`  <testsuite name="${esc(k)}" tests="${rs.length}" failures="${failures}" errors="${errors}" skipped="${skipped}">`);
    for (const r of rs) {
      out.push(`    <testcase classname="${esc(k)}" name="${esc(r.scenario)}" time="${secs(r.durationMs)}">`);
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
