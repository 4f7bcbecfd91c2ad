// The mutation suite (issue 4): for every scenario, the simulated perfect
// capture passes the checker, and every fault that applies to the scenario
// makes the checker fail with the fault's own reason; unknown blocks are
// skipped. Prints the table of scenarios by faults.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTruth } from '../../check/index.ts';
import { loadScenarios } from '../../scenario/index.ts';
import { FAULTS, type EventFault } from '../../sim/faults/index.ts';
import { judge, renderTable, runMutations } from '../../sim/mutation.ts';
import { deriveTruth } from '../../sim/runner-model.ts';
import { simulate, withFault } from '../../sim/simulate.ts';
import { simulateSensor } from '../../sim/sensor/index.ts';
import { required } from '../../sim/faults/types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const scenarios = await loadScenarios();
const byName = new Map(scenarios.map((s) => [s.name, s]));

t.test('every scenario: perfect capture passes, every applicable fault is caught with its reason (seed 1)', async (t) => {
  const started = Date.now();
  const report = runMutations(
    scenarios.map((s) => ({ scenario: s, truth: deriveTruth(s, 1) })),
    1,
  );
  t.comment(`\n${renderTable(report)}\n(${Date.now() - started} ms)`);
  t.equal(report.perfect.length, scenarios.length, 'every scenario was simulated');
  for (const p of report.perfect) t.equal(p.status, 'pass', `perfect ${p.scenario}: ${p.detail}`);
  for (const c of report.cells) {
    if (c.outcome === 'n/a') continue;
    const fault = FAULTS.find((f) => f.name === c.fault)!;
    if (fault.kind === 'bytes' && fault.mustPass) t.equal(c.outcome, 'tolerated', `${c.scenario} × ${c.fault}: ${c.detail}`);
    else {
      t.equal(c.outcome, 'caught', `${c.scenario} × ${c.fault}: ${c.detail}`);
      t.equal(c.status, 'fail', `${c.scenario} × ${c.fault}: the capture fails`);
    }
  }
  t.same(report.uncaughtFaults, [], 'every fault is caught (or tolerated) by at least one scenario');
  t.match(renderTable(report), /^every fault is caught by at least one scenario$/m);
  t.ok(report.ok);
  t.ok(
    report.cells.some((c) => c.outcome === 'n/a'),
    'applicability is decided per scenario, not assumed',
  );
});

t.test('the suite itself fails when the checker misses a fault', async (t) => {
  // A fault that claims to apply but changes nothing must show up as MISSED, and the table as NOT OK.
  const noop: EventFault = { ...(FAULTS.find((f) => f.name === 'creator-only') as EventFault), name: 'noop', apply: (ctx) => ctx.perfect };
  const s = byName.get('two-threads-one-socket')!;
  const r = runMutations([{ scenario: s, truth: deriveTruth(s, 1) }], 1, [noop]);
  t.equal(r.cells[0]!.outcome, 'missed');
  t.equal(r.ok, false);
  t.match(renderTable(r), /MISSED two-threads-one-socket × noop: the checker passed it/);
});

t.test('another seed: small scenarios still catch every applicable fault', async (t) => {
  const small = scenarios.filter((s) => s.name !== 'thousand-connections');
  const r = runMutations(
    small.map((s) => ({ scenario: s, truth: deriveTruth(s, 7) })),
    7,
  );
  t.ok(
    r.ok,
    renderTable(r)
      .split('\n')
      .filter((l) => /MISSED|PERFECT|NO SCENARIO/.test(l))
      .join('\n') || 'ok',
  );
});

/** Truths recorded by the real runner: in guests (fixtures/truth), and with --no-capture on a host for the scenarios of the [attribution] work (fixtures/truth-attribution) and of the proof work (fixtures/truth-proof, as root: pid and network namespaces). */
function recordedTruths() {
  return ['truth', 'truth-attribution', 'truth-proof'].flatMap((d) => {
    const dir = join(here, '..', 'fixtures', d);
    return readdirSync(dir).map((f) => parseTruth(readFileSync(join(dir, f), 'utf8'), f));
  });
}

t.test('perfect captures from truths recorded by the real runner pass; creator-only fails', async (t) => {
  for (const truth of recordedTruths()) {
    const scenario = byName.get(truth.scenario)!;
    const perfect = simulate({ scenario, truth });
    t.equal(judge(scenario, truth, perfect.pcapng).status, 'pass', `${truth.scenario}: perfect passes`);
    const creator = judge(scenario, truth, simulate({ scenario, truth, fault: 'creator-only' }).pcapng);
    // under the new rules the old sensor fails everywhere: no read blocks, no holder events, data labelled creator
    t.equal(creator.status, 'fail', `${truth.scenario}: creator-only fails`);
  }
});

t.test('the fault table on truths recorded by the real runner: every applicable fault caught', async (t) => {
  const inputs = recordedTruths().map((truth) => ({ scenario: byName.get(truth.scenario)!, truth }));
  const r = runMutations(inputs, 1);
  t.ok(inputs.length >= 19, `${inputs.length} recorded truths`);
  t.same(r.uncaughtFaults, [], 'every fault is caught by some recorded truth');
  t.ok(
    r.ok,
    renderTable(r)
      .split('\n')
      .filter((l) => /MISSED|PERFECT/.test(l))
      .join('\n') || 'ok',
  );
});

t.test('perfect captures pass in big-endian too', async (t) => {
  for (const s of scenarios.filter((x) => x.name !== 'thousand-connections')) {
    const r = simulate({ scenario: s, seed: 5, order: 'be' });
    t.equal(judge(s, r.truth, r.pcapng).status, 'pass', s.name);
  }
});

t.test(
  "every record the truth requires is judged: dropping any single one fails the capture (all but the kernel's pure ACKs)",
  async (t) => {
    let dropped = 0;
    for (const s of scenarios.filter((x) => x.name !== 'thousand-connections')) {
      const truth = deriveTruth(s, 1);
      const perfect = simulateSensor(truth, 1);
      const base = { truth, derived: true, perfect, seed: 1, order: 'le' as const };
      const must = perfect.events.filter(required);
      t.ok(must.length > 5, `${s.name}: ${must.length} required records`);
      const missed: string[] = [];
      for (const e of must) {
        const one: EventFault = {
          kind: 'events',
          name: 'drop-this',
          models: '',
          appliesWhen: '',
          notApplicable: () => undefined,
          expect: /./,
          apply: (ctx) => ({ ...ctx.perfect, events: ctx.perfect.events.filter((x) => x !== e) }),
        };
        const r = withFault({ ...base, fault: one });
        const v = judge(s, truth, r.pcapng, r.honet);
        dropped++;
        if (v.status === 'pass')
          missed.push(
            `${e.kind}${'event' in e ? ` ${e.event}` : ''}${'what' in e ? ` ${e.what}` : ''}${e.kind === 'packet' ? ` ${e.meta.role} ${e.direction}` : ''} at step ${'meta' in e ? e.meta.step : '?'}`,
          );
      }
      t.same(missed, [], `${s.name}: no single lost record passes`);
    }
    t.comment(`${dropped} captures, each with one record lost, all failed`);
  },
);
