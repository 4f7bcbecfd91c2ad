// Kernel selection, the one place commands turn ids, --all and --kernel-dir
// into KernelSources (cli/select.ts).
import t from 'tap';
import { defaultKernels, loadCatalog } from '../../catalog/catalog.ts';
import { dirOrSelected, namedOrDefault, oneKernel, selectKernels } from '../../cli/select.ts';

t.test('ids, --all, the default set, --kernel-dir', async (t) => {
  const defaults = defaultKernels(await loadCatalog()).map((k) => k.id);
  t.same(
    (await selectKernels(['debian-6.1'], false, 'build')).map((k) => k.kernelId),
    ['debian-6.1'],
  );
  t.same(
    (await selectKernels([], true, 'build')).map((k) => k.kernelId),
    defaults,
  );
  await t.rejects(selectKernels([], false, 'build'), { code: 'E_USAGE', message: /build: name a kernel or use --all/ });
  t.same(
    (await namedOrDefault([])).map((k) => k.kernelId),
    defaults,
    'none named: the default set (the bench without --quick, the matrix, stress)',
  );
  t.same(
    (await namedOrDefault(['debian-6.1'], ['/tmp/my-kernel'])).map((k) => [k.kind, k.kernelId]),
    [
      ['catalog', 'debian-6.1'],
      ['dir', 'local-my-kernel'],
    ],
  );
  const dir = await dirOrSelected(['debian-6.1'], false, '/tmp/my-kernel', 'build');
  t.same(
    dir.map((k) => [k.kind, k.kernelId]),
    [['dir', 'local-my-kernel']],
    '--kernel-dir alone',
  );
  t.same(
    (await dirOrSelected(['debian-6.1'], false, undefined, 'build')).map((k) => k.kernelId),
    ['debian-6.1'],
  );
  t.equal((await oneKernel(['debian-6.1'], undefined, 'shell')).kernelId, 'debian-6.1');
  await t.rejects(oneKernel(['debian-6.1', 'debian-6.12'], undefined, 'shell'), { code: 'E_USAGE' });
});
