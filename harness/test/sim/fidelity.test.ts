// Fidelity (issue 4): the simulator writes what the real sensor writes.
// Real captures of the same scenarios from Debian 6.1 and 7.2 guests (hone
// matrix, 2026-11-27), trimmed to the scenario (`hone sim --trim`, gzipped), are
// compared chain by chain with the simulation of the same truth by a sensor
// attributing like the real one (creator-only), and with the perfect model
// on structure only. See harness/sim/README.md for what is compared.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { readPcapng, parseHonet } from '../../capture/index.ts';
import { checkScenario, parseTruth, type Truth } from '../../check/index.ts';
import { loadScenarios } from '../../scenario/index.ts';
import { compareTraces, describeDifference, fidelity, lineShape, namesOf, project, sensorModelOf } from '../../sim/fidelity.ts';
import { simulateSensor } from '../../sim/sensor.ts';
import { deriveTruth } from '../../sim/runner-model.ts';
import { simulate, withFault } from '../../sim/simulate.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', 'fixtures', 'sim');
const scenarios = new Map((await loadScenarios()).map((s) => [s.name, s]));
const kernels = readdirSync(root).sort();

/** Fixture files are gzipped (`hone sim --trim`, then `gzip -9 -n`): 15 scenarios × 2 kernels in ~70 KB. */
function load(kernel: string, name: string) {
  const dir = join(root, kernel, name);
  const file = (f: string) => gunzipSync(readFileSync(join(dir, `${f}.gz`)));
  const truth = parseTruth(file('truth.json').toString('utf8'));
  return { truth, scenario: scenarios.get(name)!, real: readPcapng(file('capture.pcapng')), honet: file('honet.txt').toString('utf8') };
}

function simBlocks(truth: Truth, fault: string | undefined, exitAfterNextStep: boolean) {
  const perfect = simulateSensor(truth, 1, { exitAfterNextStep });
  return readPcapng(withFault({ truth, derived: false, perfect, seed: 1, order: 'le', ...(fault ? { fault } : {}) }).pcapng).blocks;
}

function simRun(truth: Truth, fault: string | undefined) {
  return (lag: boolean) => ({ blocks: simBlocks(truth, fault, lag), truth });
}

t.test('fixtures come from at least two kernels', async (t) => {
  t.ok(kernels.length >= 2, kernels.join(', '));
  for (const k of kernels) {
    const have = readdirSync(join(root, k));
    const missing = [...scenarios.keys()].filter((n) => !have.includes(n));
    t.same(missing, ['thousand-connections'], `${k}: every scenario but thousand-connections (8 MB; compared by hand, README.md)`);
  }
});

for (const kernel of kernels) {
  t.test(`${kernel}: the simulation of each recorded truth, by a sensor attributing like the real one, has the real capture's structure and attribution`, async (t) => {
    for (const name of readdirSync(join(root, kernel)).sort()) {
      const { truth, scenario, real } = load(kernel, name);
      t.equal(truth.scenario, name);
      const model = sensorModelOf(real.blocks);
      t.equal(model, 'creator-only', `${name}: recorded from a sensor attributing by creator`);
      const r = fidelity({ blocks: real.blocks, truth }, simRun(truth, model));
      t.ok(r.items >= 5 && r.chains >= 3, `${name}: ${r.chains} chains, ${r.items} items compared`);
      t.same(r.differences.map(describeDifference), [], `${name}: same chains (exit race resolved ${r.exitAfterNextStep ? 'after' : 'before'} the next step)`);
      // the checker says the same about both
      const vr = checkScenario({ scenario, truth, capture: real });
      const vs = checkScenario({ scenario, truth, capture: readPcapng(simulate({ scenario, truth, ...(model ? { fault: model } : {}) }).pcapng) });
      t.equal(vs.status, vr.status, `${name}: same verdict (${vr.status})`);
      t.same(vs.mismatches.length, vr.mismatches.length, `${name}: same number of mismatches`);
    }
  });

  t.test(`${kernel}: the perfect model has the real structure; only attribution differs`, async (t) => {
    for (const name of readdirSync(join(root, kernel)).sort()) {
      const { truth, real } = load(kernel, name);
      const r = fidelity({ blocks: real.blocks, truth }, simRun(truth, undefined), { attribution: false });
      t.same(r.differences.map(describeDifference), [], `${name}: same chains without attribution`);
      const withAttr = fidelity({ blocks: real.blocks, truth }, simRun(truth, undefined));
      t.ok(withAttr.differences.length > 0, `${name}: attribution differs (real: creator, perfect: sender/reader/holder)`);
    }
  });

  t.test(`${kernel}: the runner model's own truth (no guest) gives the same structure as the real run`, async (t) => {
    for (const name of readdirSync(join(root, kernel)).sort()) {
      const { truth, scenario, real } = load(kernel, name);
      const derived = deriveTruth(scenario, 11);
      t.not(derived.runId, truth.runId, `${name}: a truth of its own`);
      const r = fidelity({ blocks: real.blocks, truth }, (lag) => ({ blocks: simBlocks(derived, 'creator-only', lag), truth: derived }));
      t.same(r.differences.map(describeDifference), [], `${name}: same chains (${r.items} items)`);
    }
  });

  t.test(`${kernel}: honet lines of the simulation have the real lines' shapes`, async (t) => {
    for (const name of readdirSync(join(root, kernel)).sort()) {
      const { truth, scenario, honet } = load(kernel, name);
      const sim = simulate({ scenario, truth, fault: 'creator-only' }).honet;
      const { procs, socks } = namesOf(truth);
      const scoped = (text: string) =>
        new Set(
          text.split('\n').filter((l) => {
            const w = l.split(' ');
            if (['FORK', 'EXEC', 'EXIT'].includes(w[1] ?? '')) return procs.has(Number(w[2]));
            if (w[1] === 'SOCK') return socks.has(w[7] ?? '');
            if (w[1] === 'PAKT') return socks.has(w[3] ?? '');
            return w[1] === 'HEAD' || w[1] === 'TAIL';
          }).map(lineShape),
        );
      const real = scoped(honet);
      const simulated = scoped(sim);
      t.same([...simulated].filter((s) => !real.has(s)), [], `${name}: every simulated line shape is a real one`);
      t.same([...real].filter((s) => !simulated.has(s)), [], `${name}: every real line shape is simulated`);
      t.ok(parseHonet(sim).length > 5, `${name}: the simulated text parses`);
    }
  });
}

t.test('the comparison is not blind: a real capture missing one packet, or with the FINs swapped, differs', async (t) => {
  const { truth, real } = load(kernels[0]!, 'tcp-loopback-v6');
  const sim = project(simBlocks(truth, 'creator-only', true), truth);
  const tagged = real.blocks.findIndex((b) => b.kind === 'packet' && b.packetLength > 72);
  const fewer = compareTraces(project(real.blocks.filter((_, i) => i !== tagged), truth), sim);
  t.ok(fewer.length > 0, fewer.map(describeDifference).join('; '));
  const other = compareTraces(project(real.blocks, truth), project(simBlocks(truth, 'creator-only', false), truth));
  const fc = load(kernels[0]!, 'fork-child-sends');
  const race = compareTraces(project(fc.real.blocks, fc.truth), project(simBlocks(fc.truth, 'creator-only', false), fc.truth));
  t.ok(race.length > 0, 'the exit race resolved the other way is a difference');
  t.same(other.length, 0, 'tcp-loopback-v6 has no exit race (every socket is closed before the exits)');
  const tt = load(kernels[0]!, 'two-threads-one-socket');
  const lastUser = fidelity({ blocks: tt.real.blocks, truth: tt.truth }, simRun(tt.truth, 'last-user'));
  t.ok(lastUser.differences.length > 0, 'a sensor attributing to the last user is told apart from the real one');
});

