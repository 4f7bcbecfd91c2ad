// The matrix refuses an empty plan: no kernel or no scenario would give no
// results, and no results must never read as success.
import t from 'tap';
import { runMatrix } from '../../matrix/run.ts';
import { loadScenarios } from '../../scenario/index.ts';
import { loadCatalog } from '../../catalog/catalog.ts';
import { catalogSource } from '../../catalog/source.ts';

t.test('an empty catalog or scenario list is an error, before any guest', async (t) => {
  const opts = { out: '/nonexistent/hone-results', jobs: 1, logger: () => undefined };
  await t.rejects(runMatrix([], await loadScenarios(), opts), /matrix: no kernel to run/);
  await t.rejects(runMatrix((await loadCatalog()).map(catalogSource), [], opts), /matrix: no scenario to run/);
});
