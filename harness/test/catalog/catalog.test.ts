import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCatalog, pickKernels, loadCatalog, defaultKernels } from '../../catalog/catalog.ts';
import { HoneError } from '../../util/errors.ts';

t.test('the shipped catalog: six stock kernels by default, the debug kernel opt-in', async (t) => {
  const c = await loadCatalog();
  t.same(
    defaultKernels(c).map((k) => k.id),
    ['debian-5.10', 'debian-6.1', 'debian-6.12', 'debian-6.12-rt', 'debian-7.2', 'debian-7.3'],
    'what --all, npm run setup and npm run matrix take',
  );
  const debug = c.find((k) => k.id === 'debian-6.12-debug');
  t.ok(debug?.optIn, 'the debug kernel is opt-in');
  t.equal(debug?.source?.package, 'linux-source-6.12');
  t.equal(debug?.source?.gcc, 14);
  t.match(debug?.cmdline, /(^| )panic_on_warn=1( |$)/);
  t.match(debug?.cmdline, /(^| )kmemleak=on( |$)/);
  const fragment = await readFile(debug?.source?.fragmentFile ?? '', 'utf8');
  for (const o of [
    'CONFIG_KASAN=y',
    'CONFIG_KASAN_VMALLOC=y',
    'CONFIG_PROVE_LOCKING=y',
    'CONFIG_PROVE_RCU=y',
    'CONFIG_DEBUG_ATOMIC_SLEEP=y',
    'CONFIG_DEBUG_KMEMLEAK=y',
    'CONFIG_DEBUG_LIST=y',
    'CONFIG_SAMPLE_KMEMLEAK=m',
  ]) {
    t.ok(fragment.split('\n').includes(o), `the fragment sets ${o}`);
  }
  t.equal(c.find((k) => k.id === 'debian-6.12-rt')?.flavour, 'rt-amd64');
  t.equal(c.find((k) => k.id === 'debian-7.3')?.buildSuite, 'sid');
});

const bad: [string, string, RegExp][] = [
  ['not JSON', '{', /not valid JSON/],
  ['no kernels', '{}', /no "kernels" array/],
  ['bad id', '{"kernels":[{"id":"Bad Id","suite":"sid","flavour":"amd64"}]}', /"id" must be/],
  ['duplicate', '{"kernels":[{"id":"a","suite":"sid","flavour":"amd64"},{"id":"a","suite":"sid","flavour":"amd64"}]}', /appears twice/],
  ['unknown field', '{"kernels":[{"id":"a","suite":"sid","flavour":"amd64","colour":1}]}', /unknown field\(s\) colour/],
  ['bad smp', '{"kernels":[{"id":"a","suite":"sid","flavour":"amd64","smp":0}]}', /"smp"/],
  ['empty suites', '{"kernels":[{"id":"a","suite":"sid","flavour":"amd64","suites":[]}]}', /"suites"/],
  ['no flavour nor source', '{"kernels":[{"id":"a","suite":"sid"}]}', /"flavour" must be/],
  [
    'source with a flavour',
    '{"kernels":[{"id":"a","suite":"sid","source":"linux-source-6.12","fragment":"x.config","gcc":14,"flavour":"amd64"}]}',
    /unknown field\(s\) flavour \(a kernel built from "source" has no "flavour"/,
  ],
  [
    'fragment on an image kernel',
    '{"kernels":[{"id":"a","suite":"sid","flavour":"amd64","fragment":"x.config"}]}',
    /unknown field\(s\) fragment \("fragment" and "gcc" belong to a kernel built from "source"\)/,
  ],
  ['source without gcc', '{"kernels":[{"id":"a","suite":"sid","source":"linux-source-6.12","fragment":"x.config"}]}', /needs "gcc"/],
  ['source without fragment', '{"kernels":[{"id":"a","suite":"sid","source":"linux-source-6.12","gcc":14}]}', /"fragment" must be/],
  [
    'source not a linux-source package',
    '{"kernels":[{"id":"a","suite":"sid","source":"linux-image-amd64","fragment":"x.config","gcc":14}]}',
    /"source" must be/,
  ],
  [
    'fragment with a path',
    '{"kernels":[{"id":"a","suite":"sid","source":"linux-source-6.12","fragment":"../x.config","gcc":14}]}',
    /"fragment" must be/,
  ],
  [
    'source kind: unknown field',
    '{"kernels":[{"id":"a","suite":"sid","source":"linux-source-6.12","fragment":"x.config","gcc":14,"colour":1}]}',
    /unknown field\(s\) colour/,
  ],
  ['optIn not a boolean', '{"kernels":[{"id":"a","suite":"sid","flavour":"amd64","optIn":"yes"}]}', /"optIn" must be true or false/],
  ['cmdline with a quote', '{"kernels":[{"id":"a","suite":"sid","flavour":"amd64","cmdline":"x=\\"1\\""}]}', /"cmdline" must be/],
  [
    'cmdline with a shell character',
    '{"kernels":[{"id":"a","suite":"sid","flavour":"amd64","cmdline":"a=1;reboot"}]}',
    /"cmdline" must be/,
  ],
];
for (const [name, text, why] of bad) {
  t.test(`a broken catalog is refused: ${name}`, async (t) => {
    t.throws(() => parseCatalog(text, 'x.json'), why);
  });
}

t.test('defaults: suites and buildSuite come from suite', async (t) => {
  const [k] = parseCatalog('{"kernels":[{"id":"mine","suite":"trixie","flavour":"cloud-amd64"}]}');
  t.same(k, { id: 'mine', suite: 'trixie', suites: ['trixie'], flavour: 'cloud-amd64', buildSuite: 'trixie' });
});

t.test('an unknown kernel id names the known ones', async (t) => {
  const c = parseCatalog('{"kernels":[{"id":"a","suite":"sid","flavour":"amd64"}]}');
  try {
    pickKernels(c, ['nope']);
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof HoneError);
    t.equal((err as HoneError).code, 'E_UNKNOWN_KERNEL');
    t.match((err as HoneError).hint, /known kernels: a/);
  }
});

t.test('a kernel built from source: its fields, the fragment next to the catalog file', async (t) => {
  const [k] = parseCatalog(
    '{"kernels":[{"id":"dbg","suite":"trixie","source":"linux-source-6.12","fragment":"dbg.config","gcc":14,"optIn":true,"cmdline":"panic_on_warn=1 kmemleak=on"}]}',
    '/etc/hone/kernels.json',
  );
  t.same(k, {
    id: 'dbg',
    suite: 'trixie',
    suites: ['trixie'],
    flavour: 'source',
    buildSuite: 'trixie',
    source: { package: 'linux-source-6.12', fragment: 'dbg.config', fragmentFile: join('/etc/hone', 'dbg.config'), gcc: 14 },
    optIn: true,
    cmdline: 'panic_on_warn=1 kmemleak=on',
  });
});

t.test('opt-in kernels are out of the default set, and can still be picked by id', async (t) => {
  const c = parseCatalog(
    '{"kernels":[{"id":"a","suite":"sid","flavour":"amd64"},{"id":"b","suite":"sid","flavour":"amd64","optIn":true},{"id":"c","suite":"sid","flavour":"amd64","optIn":false}]}',
  );
  t.same(
    defaultKernels(c).map((k) => k.id),
    ['a', 'c'],
  );
  t.same(
    pickKernels(c, ['b']).map((k) => k.id),
    ['b'],
  );
});

t.test('--all (npm run setup: fetch --all, build --all) takes the six stock kernels, not the opt-in debug kernel', async (t) => {
  const { selectKernels } = await import('../../cli/select.ts');
  const all = (await selectKernels([], true, 'fetch')).map((k) => k.kernelId);
  t.same(all, ['debian-5.10', 'debian-6.1', 'debian-6.12', 'debian-6.12-rt', 'debian-7.2', 'debian-7.3']);
  t.same(
    (await selectKernels(['debian-6.12-debug'], false, 'fetch')).map((k) => k.kernelId),
    ['debian-6.12-debug'],
    'named, it is taken',
  );
});
