// The debug kernel catches what it is for, and the harness fails the run:
// a test module (fixtures/kfault, loaded only in the guest) commits one bug
// per boot: a use-after-free (KASAN), a lock-order inversion (lockdep),
// a sleep under a spinlock (the atomic-sleep check), a leak (kmemleak).
// Each must come back as a kernel crash naming it. Needs debian-6.12-debug
// built (`npx hone fetch debian-6.12-debug`; HONE_DEBUG_KERNEL names
// another) and root;
// otherwise the cases are skipped, said so. About 2-4 min a case under TCG.
import t from 'tap';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog, pickKernels } from '../../catalog/catalog.ts';
import { loadBundle, type KernelBundle } from '../../fetch/bundle.ts';
import { catalogSource } from '../../catalog/source.ts';
import { prepareKernel, startGuest, type PreparedKernel } from '../../guest/prepare.ts';
import { hasKmemleak, leakCrash, scanKmemleak } from '../../guest/kmemleak.ts';
import { chooseToolchain, hostGccMajor } from '../../kbuild/toolchain.ts';
import { ensureBuildRoot, runInBuildRoot } from '../../kbuild/buildroot.ts';
import { cachePaths } from '../../util/paths.ts';
import { HoneError } from '../../util/errors.ts';
import { quiet } from '../../util/log.ts';
import { run } from '../../util/run.ts';

t.setTimeout(40 * 60_000);
const here = dirname(fileURLToPath(import.meta.url));
const kernelId = process.env.HONE_DEBUG_KERNEL ?? 'debian-6.12-debug';

const [k] = pickKernels(await loadCatalog(), [kernelId]);
const bundle = await loadBundle(kernelId);
const skip = !bundle
  ? `${kernelId} is not built here (npx hone fetch ${kernelId})`
  : process.getuid?.() !== 0
    ? 'needs root (build root, guest)'
    : false;

/** kfault.ko built against the debug kernel, the way kmod/ is (build root when the host gcc is too old). */
async function buildKfault(b: KernelBundle): Promise<Buffer> {
  await mkdir(cachePaths().builds(kernelId), { recursive: true });
  const dir = await mkdtemp(join(cachePaths().builds(kernelId), 'kfault-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(join(here, '..', 'fixtures', 'kfault'), dir, { recursive: true });
  const tc = chooseToolchain(b.ccVersionText, k?.buildSuite ?? 'trixie', await hostGccMajor());
  // the debug tree keeps no CC of its own; a build root has only gcc-<major>
  const argv = ['make', '-C', b.ksrc, `M=${dir}`, ...(tc.kind === 'host' ? [] : [`CC=gcc-${tc.major}`]), 'modules'];
  const r =
    tc.kind === 'host'
      ? await run(argv[0] as string, argv.slice(1), { allowFail: true })
      : await runInBuildRoot(await ensureBuildRoot(tc.suite, tc.major, quiet), [cachePaths().root], argv);
  if (r.exitCode !== 0) throw new Error(`kfault did not build:\n${r.stdout}\n${r.stderr}`);
  return readFile(join(dir, 'kfault.ko'));
}

let prepared: PreparedKernel | undefined;
let ko: Buffer | undefined;
// consoles and results: kept when a case fails (the failure names them), removed after a clean run
const out = await mkdtemp(join(cachePaths().root, 'debug-kernel-test-'));
t.teardown(() => (t.passing() ? rm(out, { recursive: true, force: true }) : undefined));

/** Boots a guest without Hone, loads kfault with the fault, returns what happened. */
async function withFault(fault: string): Promise<{ error?: HoneError; leak?: HoneError; insmod?: number; console: string }> {
  if (!k || !bundle) throw new Error('unreachable');
  prepared ??= await prepareKernel({ source: catalogSource(k), bundle }, quiet, { modules: false });
  ko ??= await buildKfault(bundle);
  const consoleFile = join(out, `console-${fault}.log`);
  const guest = await startGuest(prepared, quiet, { consoleFile });
  try {
    await guest.writeFile('/tmp/kfault.ko', ko);
    const r = await guest.exec(`insmod /tmp/kfault.ko fault=${fault}`);
    // a report that does not stop the kernel reaches the console a little after insmod returns
    await Promise.race([guest.crashed, new Promise((res) => setTimeout(res, 5000))]);
    if (fault === 'leak' && !(await hasKmemleak(guest))) throw new Error('the debug kernel has no /sys/kernel/debug/kmemleak');
    const leak =
      fault === 'leak'
        ? leakCrash(await scanKmemleak(guest, { kernel: kernelId, sinceMs: Date.now() }), {
            kernel: kernelId,
            when: 'after insmod kfault.ko fault=leak',
          })
        : undefined;
    return { insmod: r.code, leak, console: await readFile(consoleFile, 'utf8') };
  } catch (err) {
    if (!(err instanceof HoneError)) throw err;
    return { error: err, console: await readFile(consoleFile, 'utf8').catch(() => '') };
  } finally {
    await guest.shutdown().catch(() => undefined);
  }
}

const cases: [string, RegExp, RegExp][] = [
  ['uaf', /^kernel crash: .*BUG: KASAN: slab-use-after-free in kfault_uaf/, /Read of size 1 at addr/],
  ['lockorder', /^kernel crash: .*WARNING: possible circular locking dependency detected/, /kfault_(a|b)/],
  ['sleep', /^kernel crash: .*BUG: sleeping function called from invalid context at kernel\/locking\/mutex\.c/, /kfault_sleep/],
];
for (const [fault, message, detail] of cases) {
  t.test(`${kernelId}: kfault fault=${fault} is a kernel crash`, { skip }, async (t) => {
    const r = await withFault(fault);
    await writeFile(join(out, `result-${fault}.txt`), `${r.error?.message}\n${r.error?.details.join('\n')}\n`);
    t.ok(r.error, `the run failed (console: ${join(out, `console-${fault}.log`)})`);
    t.equal(r.error?.code, 'E_KERNEL_CRASH');
    t.match(r.error?.message, message);
    t.match(r.error?.details.join('\n'), detail, 'the report is quoted');
  });
}

t.test(`${kernelId}: kfault fault=leak is found by a kmemleak scan`, { skip }, async (t) => {
  const r = await withFault('leak');
  t.notOk(r.error, `no splat (${r.error?.message ?? ''})`);
  t.equal(r.insmod, 11, 'insmod fails with EAGAIN after the fault, as kfault does (busybox insmod exits with the errno)');
  t.equal(r.leak?.code, 'E_KERNEL_CRASH', 'the leak is a crash');
  t.match(r.leak?.message, /^kmemleak: [1-9]\d* unreferenced object\(s\) after insmod kfault\.ko fault=leak: /);
  t.match(r.leak?.details.join('\n'), /\(128 bytes\) allocated by .*\(insmod, pid \d+\)/);
});
