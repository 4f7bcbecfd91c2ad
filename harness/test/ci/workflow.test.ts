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
  t.match(y, /\n  tests:\n    name: npm test\n[\s\S]*fetch a-1\.0 [\s\S]*HONE_E2E_KERNEL=a-1\.0 npm test\n/, 'one job runs the test suite, on the first kernel when the e2e kernel is not in the catalog');
  t.equal(y.match(/HONE_E2E_KERNEL=\S+ npm test/g)?.length, 1, 'once');
  t.equal(y.match(/GITHUB_STEP_SUMMARY/g)?.length, 6);
  t.match(y, /\n  stress:\n    name: stress \(a-1\.0 b\)\n[\s\S]*fetch --all [\s\S]*hone\.js stress a-1\.0 b --out results\/stress\n/, 'one stress job over every kernel');
  t.equal(y.match(/hone\.js stress /g)?.length, 1);
  t.not(y, renderWorkflow(c.slice(0, 1)), 'dropping a kernel changes the workflow');
});
