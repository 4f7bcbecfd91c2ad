import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCatalog, parseCatalog } from '../../catalog/catalog.ts';
import { renderWorkflow, workflowFile } from '../../../ci/workflow.ts';
import { repoRoot } from '../../util/paths.ts';

t.test('the committed workflow is the one the catalog generates', async (t) => {
  const want = renderWorkflow(await loadCatalog());
  const have = await readFile(join(repoRoot, workflowFile), 'utf8');
  t.equal(have, want, 'run `npx hone ci --write` after changing the catalog');
});

t.test('one job per kernel, each uploading its results', async (t) => {
  const c = parseCatalog('{"kernels":[{"id":"a-1.0","suite":"sid","flavour":"amd64"},{"id":"b","suite":"sid","flavour":"amd64"}]}');
  const y = renderWorkflow(c);
  t.match(y, /\n  a-1_0:\n    name: a-1\.0\n/);
  t.match(y, /matrix --kernel b --out results/);
  t.equal(y.match(/upload-artifact/g)?.length, 3, 'per kernel, and the stress job');
  t.match(
    y,
    /\n  tests:\n    name: npm test\n[\s\S]*fetch a-1\.0 [\s\S]*HONE_E2E_KERNEL=a-1\.0 npm test\n/,
    'one job runs the test suite, on the first kernel when the e2e kernel is not in the catalog',
  );
  t.equal(y.match(/HONE_E2E_KERNEL=\S+ npm test/g)?.length, 1, 'once');
  t.equal(y.match(/GITHUB_STEP_SUMMARY/g)?.length, 6);
  t.match(
    y,
    /\n  stress:\n    name: stress \(a-1\.0 b\)\n[\s\S]*fetch --all [\s\S]*hone\.js stress a-1\.0 b --out results\/stress\n/,
    'one stress job over every kernel',
  );
  t.equal(y.match(/hone\.js stress /g)?.length, 1);
  t.not(y, renderWorkflow(c.slice(0, 1)), 'dropping a kernel changes the workflow');
});

t.test('an opt-in kernel built from source: its own nightly job, cached on its fragment; the stock jobs unchanged', async (t) => {
  const stock = '{"id":"a","suite":"sid","flavour":"amd64"}';
  const dbg = '{"id":"a-debug","suite":"sid","source":"linux-source-6.12","fragment":"dbg.config","gcc":14,"optIn":true}';
  const without = renderWorkflow(parseCatalog(`{"kernels":[${stock}]}`));
  const y = renderWorkflow(parseCatalog(`{"kernels":[${stock},${dbg}]}`));
  t.ok(
    y.startsWith(without.replace(/workflow_dispatch:\n/, "workflow_dispatch:\n  schedule:\n    - cron: '17 2 * * *'\n")),
    'the stock jobs are as they were',
  );
  const job = y.slice(y.indexOf('\n  a-debug:\n'));
  t.match(job, /name: a-debug \(opt-in, built from source\)/);
  t.match(job, /if: github\.event_name == 'schedule' \|\| github\.event_name == 'workflow_dispatch'/, 'not on every push: hours under TCG');
  t.match(
    job,
    /key: hone-a-debug-\$\{\{ hashFiles\('harness\/catalog\/dbg\.config', 'harness\/catalog\/kernels\.json', 'images\/buildroot-recipe\.ts'\) \}\}/,
    'cache keyed on the fragment',
  );
  t.match(job, /restore-keys: hone-a-debug-/, 'an older tree is restored for an incremental build');
  t.match(
    job,
    /actions\/cache\/save@v4\n        if: always\(\) && steps\.fetch\.outcome == 'success'/,
    'saved once built, whatever the matrix says',
  );
  t.match(job, /matrix --kernel a-debug --out results/);
  t.match(job, /hone\.js stress a-debug --out results\/stress/, 'the stress suite (with the soak) runs on it');
  t.notMatch(y.slice(0, y.indexOf('\n  a-debug:\n')), /a-debug/, 'no other job names it');
});

t.test('an opt-in arm64 kernel: its own nightly job with matrix and stress, without the debug kernel test', async (t) => {
  const stock = '{"id":"a","suite":"sid","flavour":"amd64"}';
  const arm = '{"id":"a-arm64","suite":"sid","flavour":"arm64","arch":"arm64","optIn":true}';
  const y = renderWorkflow(parseCatalog(`{"kernels":[${stock},${arm}]}`));
  const job = y.slice(y.indexOf('\n  a-arm64:\n'));
  t.match(job, /name: a-arm64 \(arm64, opt-in\)/);
  t.match(job, /if: github\.event_name == 'schedule' \|\| github\.event_name == 'workflow_dispatch'/);
  t.match(job, /doctor --fix/, 'the cross tools come from doctor --fix');
  t.match(job, /matrix --kernel a-arm64 --out results/);
  t.match(job, /hone\.js stress a-arm64 --out results\/stress/);
  t.notMatch(job, /debug-kernel\.test/, 'the debug kernel test is for a debug kernel built from source');
  const asStock = renderWorkflow(parseCatalog(`{"kernels":[${stock},${arm.replace(',"optIn":true', '')}]}`));
  t.match(asStock, /\n  a-arm64:\n    name: a-arm64 \(arm64\)\n/, 'a stock arm64 kernel: a job per push, named with its architecture');
  t.match(asStock, /hone\.js stress a a-arm64 --out results\/stress/, 'and in the stress job');
});
