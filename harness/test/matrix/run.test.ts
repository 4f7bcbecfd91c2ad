// The matrix refuses an empty plan: no kernel or no scenario would give no
// results, and no results must never read as success.
import t from 'tap';
import { runMatrix } from '../../matrix/run.ts';
import { loadScenarios } from '../../scenario/index.ts';
import { loadCatalog } from '../../catalog/catalog.ts';
import { catalogSource } from '../../catalog/source.ts';
import type { Emit, MatrixEvent } from '../../matrix/events.ts';
import type { ScenarioResult } from '../../matrix/types.ts';

t.test('an empty catalog or scenario list is an error, before any guest', async (t) => {
  const opts = { out: '/nonexistent/hone-results', jobs: 1 };
  await t.rejects(runMatrix([], await loadScenarios(), opts), /matrix: no kernel to run/);
  await t.rejects(runMatrix((await loadCatalog()).map(catalogSource), [], opts), /matrix: no scenario to run/);
});

// Scheduling, with runKernel replaced (no guest): at most --jobs kernels at
// once, every kernel once, reports in catalog order whatever finished first.
t.test('runMatrix schedules kernels on --jobs workers and reports in catalog order', async (t) => {
  let running = 0;
  let peak = 0;
  const calls: { id: string; smp: number | undefined; repeat: number; append?: string }[] = [];
  const delays: Record<string, number> = { a: 120, b: 10, c: 60, d: 5, e: 30 };
  const { runMatrix: schedule } = await t.mockImport<typeof import('../../matrix/run.ts')>('../../matrix/run.ts', {
    '../../matrix/run-kernel.ts': {
      runKernel: async (
        k: { kernelId: string },
        scenarios: { name: string }[],
        o: { smp?: number; repeat: number; append?: string; emit: Emit },
      ) => {
        running++;
        peak = Math.max(peak, running);
        calls.push({ id: k.kernelId, smp: o.smp, repeat: o.repeat, append: o.append });
        for (const [i, s] of scenarios.entries()) {
          await new Promise((r) => setTimeout(r, (delays[k.kernelId] ?? 0) / (i + 1)));
          o.emit({ kind: 'result', result: { kernel: k.kernelId, scenario: s.name } as ScenarioResult });
        }
        running--;
        return { id: k.kernelId };
      },
    },
  });
  const kernels = ['a', 'b', 'c', 'd', 'e'].map((kernelId) => ({ kernelId, smp: kernelId === 'c' ? 4 : 2 }));
  const scenarios = [{ name: 's1' }, { name: 's2' }];
  const events: MatrixEvent[] = [];
  type K = Parameters<typeof schedule>[0];
  type S = Parameters<typeof schedule>[1];
  const report = await schedule(kernels as unknown as K, scenarios as unknown as S, {
    out: '/nonexistent',
    jobs: 2,
    emit: (e) => events.push(e),
  });
  t.equal(peak, 2, 'two kernels at once, never more');
  t.same(calls.map((c) => c.id).sort(), ['a', 'b', 'c', 'd', 'e'], 'every kernel once');
  t.same(
    report.kernels.map((k) => k.id),
    ['a', 'b', 'c', 'd', 'e'],
    'in catalog order',
  );
  t.same(
    report.results.map((r) => `${r.kernel}/${r.scenario}`),
    ['a/s1', 'a/s2', 'b/s1', 'b/s2', 'c/s1', 'c/s2', 'd/s1', 'd/s2', 'e/s1', 'e/s2'],
  );
  t.same(
    calls.map((c) => [c.id, c.smp]).sort(),
    [
      ['a', 1],
      ['b', 1],
      ['c', 1],
      ['d', 1],
      ['e', 1],
    ],
    'one vCPU each when guests share the host, whatever the catalog says',
  );
  t.ok(
    calls.every((c) => c.repeat === 1),
    'repeat 1 unless asked',
  );
  t.same(events.flatMap((e) => (e.kind === 'kernel' ? [e.run.id] : [])).sort(), ['a', 'b', 'c', 'd', 'e'], 'each kernel reported done');
  t.same(
    events.filter((e) => e.kind === 'plan' || e.kind === 'done').map((e) => e.kind),
    ['plan', 'done'],
  );
  t.equal(events[0]?.kind, 'plan', 'the plan first');
  t.equal(events.at(-1)?.kind, 'done', 'done last');
  t.not(
    events
      .filter((e) => e.kind === 'result')
      .map((e) => (e.kind === 'result' ? e.result.kernel : ''))
      .join(),
    report.results.map((r) => r.kernel).join(),
    'the results came interleaved (two kernels at once), the report puts them in order',
  );
  t.equal(report.repeat, 1);

  calls.length = 0;
  peak = 0;
  const one = await schedule(kernels.slice(0, 2) as unknown as K, scenarios as unknown as S, {
    out: '/nonexistent',
    jobs: 8,
    repeat: 3,
  });
  t.equal(peak, 2, 'no more workers than kernels');
  t.same(
    calls.map((c) => [c.smp, c.repeat]),
    [
      [1, 3],
      [1, 3],
    ],
  );
  t.equal(one.repeat, 3);
  calls.length = 0;
  await schedule(kernels.slice(0, 1) as unknown as K, scenarios as unknown as S, { out: '/x', jobs: 1 });
  t.equal(calls[0]?.smp, undefined, 'one guest at a time: the kernel default');
  t.equal(calls[0]?.append, undefined, 'no --append: nothing added to the command line');
  calls.length = 0;
  await schedule(kernels.slice(0, 2) as unknown as K, scenarios as unknown as S, { out: '/x', jobs: 1, append: 'rcu_nocbs=all' });
  t.same(
    calls.map((c) => c.append),
    ['rcu_nocbs=all', 'rcu_nocbs=all'],
    "--append reaches every kernel's guest",
  );
});
