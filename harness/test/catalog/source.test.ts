// The pipeline's first stage: a catalog entry or a folder as a KernelSource;
// and errors tagged with their kernel once, at the boundary of its run.
import t from 'tap';
import { parseCatalog } from '../../catalog/catalog.ts';
import { catalogSource, dirSource } from '../../catalog/source.ts';
import { HoneError, formatError, tagKernel, withKernel } from '../../util/errors.ts';

t.test('a catalog entry and a folder as sources: id, build suite, default vCPUs, command line', async (t) => {
  const [a, b] = parseCatalog(
    JSON.stringify({
      kernels: [
        { id: 'debian-7.2', suite: 'sid', flavour: 'amd64', smp: 1 },
        { id: 'dbg', suite: 'trixie', source: 'linux-source-6.12', fragment: 'x.config', gcc: 14, cmdline: 'kmemleak=on' },
      ],
    }),
  );
  const s = catalogSource(a!);
  t.same([s.kind, s.kernelId, s.buildSuite, s.smp, s.cmdline], ['catalog', 'debian-7.2', 'sid', 1, undefined]);
  t.equal(s.entry, a);
  t.same([catalogSource(b!).smp, catalogSource(b!).cmdline], [2, 'kmemleak=on']);
  const d = dirSource('/tmp/My Kernel_6.9');
  t.same(d, { kind: 'dir', kernelId: 'local-my-kernel-6.9', arch: 'amd64', buildSuite: 'sid', smp: 2, dir: '/tmp/My Kernel_6.9' });
});

t.test('tagKernel names the kernel once; an error that names one keeps it; other errors pass through', async (t) => {
  const plain = new HoneError('E_IMAGE', 'no busybox', { hint: 'apt-get install busybox-static', details: ['x'] });
  const tagged = tagKernel(plain, 'debian-6.1') as HoneError;
  t.same([tagged.code, tagged.kernel, tagged.hint, tagged.details], ['E_IMAGE', 'debian-6.1', 'apt-get install busybox-static', ['x']]);
  t.match(formatError(tagged), /^hone: debian-6\.1: no busybox/);
  const named = new HoneError('E_IMAGE', 'x', { kernel: 'debian-5.10' });
  t.equal(tagKernel(named, 'debian-6.1'), named);
  const other = new Error('boom');
  t.equal(tagKernel(other, 'debian-6.1'), other);
  const caught = await withKernel('debian-6.12', async () => {
    throw plain;
  }).catch((e: unknown) => e);
  t.equal((caught as HoneError).kernel, 'debian-6.12');
  t.equal(await withKernel('debian-6.12', async () => 7), 7);
});
