// Judging a run folder (what the matrix does after each scenario, and
// `hone check`): a real folder from a guest passes; a missing file, a truth
// for an unknown scenario or a capture with one pid changed is said so.
import t from 'tap';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { judgeRun, RUN_FILES } from '../../matrix/judge-run.ts';
import { reproCommand } from '../../matrix/run-kernel.ts';
import { loadScenarios } from '../../scenario/index.ts';

const real = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'real', 'debian-6.1', 'fork-child-sends');

t.test('judgeRun', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'hone-judge-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const copy = (name: string) => {
    const dir = join(work, name);
    cpSync(real, dir, { recursive: true });
    return dir;
  };

  const v = await judgeRun(real);
  t.equal(v.status, 'pass', 'a real run folder from a guest passes');
  t.same(v.mismatches, []);

  for (const f of RUN_FILES) {
    const dir = copy(`no-${f}`);
    rmSync(join(dir, f));
    await t.rejects(judgeRun(dir), { code: 'E_USAGE', message: `${dir}: cannot read ${f} (ENOENT)` }, `without ${f}: an error naming it`);
  }

  const unknown = copy('unknown');
  const truth = JSON.parse(readFileSync(join(unknown, 'truth.json'), 'utf8')) as { scenario: string };
  truth.scenario = 'no-such-scenario';
  writeFileSync(join(unknown, 'truth.json'), JSON.stringify(truth));
  await t.rejects(judgeRun(unknown), {
    code: 'E_USAGE',
    message: /truth\.json is for scenario "no-such-scenario", which is not in scenarios/,
  });
  const fork = (await loadScenarios()).find((s) => s.name === 'fork-child-sends')!;
  await t.resolves(judgeRun(unknown, fork), 'unless the scenario is given');
  const other = (await loadScenarios()).find((s) => s.name === 'tcp-loopback-v4')!;
  t.equal((await judgeRun(real, other)).status, 'fail', "another scenario's expectations fail it");

  const broken = copy('broken');
  type Step = { kind: string; pid: number; actor: string };
  const t2 = JSON.parse(readFileSync(join(broken, 'truth.json'), 'utf8')) as { steps: Step[] };
  const send = t2.steps.find((x) => x.kind === 'send' && x.actor === 'child')!;
  const parent = t2.steps.find((x) => x.kind === 'fork' && x.actor !== 'runner')!;
  t.ok(send && parent && send.pid !== parent.pid, 'the child sends, not its parent');
  send.pid = parent.pid;
  writeFileSync(join(broken, 'truth.json'), JSON.stringify(t2));
  const bad = await judgeRun(broken);
  t.equal(bad.status, 'fail', "the child's send claimed for its parent fails");
  t.ok(bad.mismatches.length > 0, bad.mismatches.slice(0, 2).join('; '));
});

t.test('reproCommand names the kernel and the scenario', async (t) => {
  t.equal(reproCommand('debian-6.1', 'tcp-loopback-v4'), 'npx hone repro debian-6.1 tcp-loopback-v4');
});
