// A kernel built from source: its content key, the check that kconfig kept
// the fragment, the progress lines, and the rule that an unfinished build
// is never taken for a finished one.
import t from 'tap';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedInputs, kernelBuildKey, type KernelBuildInputs } from '../../kbuild/kernel-key.ts';
import { checkFragmentKept, composeAllconfig, droppedOptions, parseConfig } from '../../kbuild/kernel-config.ts';
import { elapsed, kbuildStep } from '../../kbuild/kernel-build.ts';
import { intact, loadBundle, type KernelBundle } from '../../fetch/bundle.ts';
import { localVersion } from '../../fetch/source-bundle.ts';
import { upstreamVersion } from '../../catalog/resolve.ts';
import { installedVersion } from '../../kbuild/buildroot.ts';
import { kernelBuildRootPackages } from '../../../images/buildroot-recipe.ts';
import { loadCatalog } from '../../catalog/catalog.ts';
import { HoneError } from '../../util/errors.ts';

const inputs: KernelBuildInputs = {
  source: { name: 'linux-source-6.12', version: '6.12.117-1', sha256: '9141325315c7f1eca682113d185a8c77c82814aa6e32f7e127e61d6106403835' },
  fragment: { name: 'debug-6.12.config', sha256: '1d5183c4dd7de23efc90aa270940add37cf4f1c816515aa2e553cb2472de76e5' },
  compiler: 'gcc-14 14.2.0-19',
  recipe: 1,
  buildRoot: kernelBuildRootPackages('trixie', 14),
};

t.test('the key is stable for the same inputs and changes with each of them', async (t) => {
  const key = kernelBuildKey(inputs);
  t.match(key, /^[0-9a-f]{16}$/);
  t.equal(kernelBuildKey(structuredClone(inputs)), key, 'same inputs, same key');
  t.equal(
    key,
    '8ffec9b606e71439',
    'the key the adopted debian-6.12-debug tree carries (changing the key function rebuilds every cached kernel)',
  );
  const variants: [string, KernelBuildInputs][] = [
    ['fragment', { ...inputs, fragment: { ...inputs.fragment, sha256: '0'.repeat(64) } }],
    ['source sha256', { ...inputs, source: { ...inputs.source, sha256: '1'.repeat(64) } }],
    ['source version', { ...inputs, source: { ...inputs.source, version: '6.12.118-1' } }],
    ['compiler', { ...inputs, compiler: 'gcc-14 14.2.0-20' }],
    ['recipe', { ...inputs, recipe: 2 }],
    ['build root', { ...inputs, buildRoot: [...inputs.buildRoot, 'ccache'] }],
  ];
  const keys = new Set([key]);
  for (const [what, v] of variants) {
    const k = kernelBuildKey(v);
    t.not(k, key, `a different ${what} makes a different key`);
    keys.add(k);
    t.ok(changedInputs(inputs, v).length > 0);
  }
  t.equal(keys.size, variants.length + 1, 'all different');
  t.equal(
    kernelBuildKey({ ...inputs, fragment: { ...inputs.fragment, name: 'renamed.config' } }),
    key,
    "the fragment's bytes count, not its name",
  );
  t.same(changedInputs(inputs, variants[0]![1]), ['config fragment debug-6.12.config changed']);
  t.same(changedInputs(inputs, variants[3]![1]), ['compiler gcc-14 14.2.0-19 -> gcc-14 14.2.0-20']);
  t.same(changedInputs(undefined, inputs), ['no finished build in the cache']);
});

t.test('the kernel build root is the module build root plus what kbuild needs (its cached name)', async (t) => {
  const list = kernelBuildRootPackages('trixie', 14);
  for (const p of ['gcc-14', 'make', 'flex', 'bison', 'bc', 'libelf-dev', 'libssl-dev']) t.ok(list.includes(p), p);
  const { createHash } = await import('node:crypto');
  t.equal(
    createHash('sha256').update(list.join(',')).digest('hex').slice(0, 8),
    'bcff95ab',
    'the recipe hash of the cached trixie-kbuild-gcc14 root',
  );
});

t.test('config files are read as kconfig writes them', async (t) => {
  const c = parseConfig('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="-x"\n  CONFIG_D=m\n# a comment\nCONFIG_E=0x10\nCONFIG_A=m\n');
  t.same(
    [...c],
    [
      ['CONFIG_A', 'm'],
      ['CONFIG_B', 'n'],
      ['CONFIG_C', '"-x"'],
      ['CONFIG_D', 'm'],
      ['CONFIG_E', '0x10'],
    ],
    'later lines win',
  );
  t.equal(composeAllconfig('CONFIG_KVM_GUEST=y', 'CONFIG_X=y\n'), 'CONFIG_KVM_GUEST=y\nCONFIG_X=y\n');
  t.equal(localVersion('CONFIG_LOCALVERSION="-hone-debug"\n'), '-hone-debug');
  t.equal(localVersion('CONFIG_X=y\n'), '');
  t.equal(upstreamVersion('6.12.117-1'), '6.12.117');
  t.equal(upstreamVersion('1:7.3~rc7-1~exp1'), '7.3~rc7');
});

t.test('an option kconfig dropped fails the build, by name', async (t) => {
  // what tinyconfig does to KASAN: its dependencies unmet, it is silently not set
  const fragment = 'CONFIG_KASAN=y\nCONFIG_KASAN_VMALLOC=y\nCONFIG_VETH=m\n# CONFIG_DRM is not set\nCONFIG_LOCALVERSION="-hone-debug"\n';
  const dotConfig = '# CONFIG_KASAN is not set\nCONFIG_VETH=y\nCONFIG_LOCALVERSION="-hone-debug"\nCONFIG_DRM=y\n';
  t.same(
    droppedOptions(fragment, dotConfig),
    [
      { option: 'CONFIG_KASAN', wanted: 'y', got: 'n' },
      { option: 'CONFIG_KASAN_VMALLOC', wanted: 'y', got: 'n' },
      { option: 'CONFIG_VETH', wanted: 'm', got: 'y' },
      { option: 'CONFIG_DRM', wanted: 'n', got: 'y' },
    ],
    'missing, unset, y instead of m, set where the fragment unsets it',
  );
  try {
    checkFragmentKept(fragment, dotConfig, { fragmentName: 'debug.config', configFile: '/x/.config' });
    t.fail('should throw');
  } catch (err) {
    t.ok(err instanceof HoneError);
    const e = err as HoneError;
    t.equal(e.code, 'E_KERNEL_BUILD');
    t.match(e.message, /kconfig dropped 4 options of debug\.config: CONFIG_KASAN, CONFIG_KASAN_VMALLOC, CONFIG_VETH, CONFIG_DRM/);
    t.match(e.details[0], /CONFIG_KASAN: the fragment sets y, the final \.config has not set/);
    t.match(e.hint, /dependencies are unmet/);
  }
  t.doesNotThrow(
    () => checkFragmentKept('CONFIG_A=y\n# CONFIG_B is not set\n', 'CONFIG_A=y\n', { fragmentName: 'f', configFile: 'c' }),
    'an unset option may be absent',
  );
});

t.test('the shipped fragment is kept whole by the cached debug kernel (when it is built here)', async (t) => {
  const k = (await loadCatalog()).find((x) => x.id === 'debian-6.12-debug');
  const b = await loadBundle('debian-6.12-debug');
  if (!k?.source || !b) {
    t.pass('debian-6.12-debug is not built in this cache: nothing to compare');
    return;
  }
  t.same(droppedOptions(await readFile(k.source.fragmentFile, 'utf8'), await readFile(b.config, 'utf8')), []);
  t.equal(
    b.resolved.built?.inputs.fragment.sha256,
    (await import('node:crypto'))
      .createHash('sha256')
      .update(await readFile(k.source.fragmentFile))
      .digest('hex'),
    'built from this fragment',
  );
});

t.test('progress: kbuild steps and elapsed time', async (t) => {
  t.equal(kbuildStep('  CC      net/ipv4/tcp.o'), 'CC net/ipv4/tcp.o');
  t.equal(kbuildStep('  CC [M]  drivers/net/veth.o'), 'CC [M] drivers/net/veth.o');
  t.equal(kbuildStep('  LD      vmlinux.o'), 'LD vmlinux.o');
  t.equal(kbuildStep("make: Entering directory '/x'"), undefined);
  t.equal(kbuildStep('net/ipv4/tcp.c:10:5: warning: x'), undefined);
  t.equal(elapsed(12_000), '12s');
  t.equal(elapsed(245_000), '4m05s');
  t.equal(elapsed(3_723_000), '1h02m03s');
});

t.test('a built kernel is ready only when its build finished with the recorded key', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hone-srcbundle-'));
  const src = join(dir, 'tree', 'src');
  const mods = join(dir, 'tree', 'root', 'lib', 'modules', 'r');
  await mkdir(join(src, 'arch'), { recursive: true });
  await mkdir(mods, { recursive: true });
  for (const f of [join(src, 'bzImage'), join(src, 'System.map'), join(src, '.config'), join(src, 'Makefile'), join(mods, 'modules.dep')])
    await writeFile(f, 'x');
  const built = { key: 'aaaa', inputs } as unknown as NonNullable<KernelBundle['resolved']['built']>;
  const b: KernelBundle = {
    id: 'k',
    release: 'r',
    version: 'v',
    dir,
    root: join(dir, 'tree', 'root'),
    vmlinuz: join(src, 'bzImage'),
    systemMap: join(src, 'System.map'),
    config: join(src, '.config'),
    ksrc: src,
    modulesDir: mods,
    ccVersionText: 'gcc-14',
    resolved: { id: 'k', version: 'v', release: 'r', packages: [], resolvedAt: '', built },
  };
  t.notOk(await intact(b), 'every file there, but no .hone-built.json: an interrupted build');
  await writeFile(join(dir, 'tree', '.hone-built.json'), JSON.stringify({ key: 'bbbb' }));
  t.notOk(await intact(b), 'a finished build of other inputs');
  await writeFile(join(dir, 'tree', '.hone-built.json'), JSON.stringify({ key: 'aaaa' }));
  t.ok(await intact(b), 'finished with this key');
  const image: KernelBundle = { ...b, resolved: { ...b.resolved, built: undefined } };
  t.ok(await intact(image), 'a Debian image kernel needs no marker');
});

t.test("a build root's compiler version is read from its dpkg database", async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'hone-root-'));
  await mkdir(join(root, 'var', 'lib', 'dpkg'), { recursive: true });
  await writeFile(
    join(root, 'var', 'lib', 'dpkg', 'status'),
    [
      'Package: gcc-14-base\nStatus: install ok installed\nVersion: 14.2.0-19\n',
      'Package: gcc-14\nStatus: deinstall ok config-files\nVersion: 14.1.0-1\n',
      'Package: gcc-14\nStatus: install ok installed\nArchitecture: amd64\nVersion: 14.2.0-19\n',
    ].join('\n'),
  );
  t.equal(await installedVersion(root, 'gcc-14'), '14.2.0-19');
  t.equal(await installedVersion(root, 'gcc-15'), undefined);
});
