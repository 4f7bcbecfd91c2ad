// End to end: boot one catalog kernel with Hone loaded, run commands over
// the channel, copy a file out, power off; then make a guest panic and see
// it reported as a kernel crash, quoting the console, within 10 seconds.
// Needs the kernel fetched (`npm run setup` does it).
import t from 'tap';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, pickKernels } from '../../catalog/catalog.ts';
import { prepareKernel, startGuest } from '../../guest/prepare.ts';
import { HoneError } from '../../util/errors.ts';
import { quiet } from '../../util/log.ts';

const kernelId = process.env.HONE_E2E_KERNEL ?? 'debian-6.1';

t.test(`boot ${kernelId}, exec, copy out, power off; a panic is a kernel crash`, async (t) => {
  const [k] = pickKernels(await loadCatalog(), [kernelId]);
  if (!k) throw new Error('unreachable');
  const dir = await mkdtemp(join(tmpdir(), 'hone-e2e-'));
  const prepared = await prepareKernel(k, quiet, { modules: true });
  t.match(prepared.accel.accel, /^(kvm|tcg)$/, `accelerator: ${prepared.accel.accel} (${prepared.accel.reason})`);

  const guest = await startGuest(prepared, quiet, { consoleFile: join(dir, 'console.log') });
  try {
    const devs = await guest.exec('ls /dev/hone /dev/honet && uname -r');
    t.equal(devs.code, 0, 'the Hone devices exist');
    t.match(devs.stdout, prepared.bundle.release, 'the guest runs the catalog kernel');
    const fail = await guest.exec('echo oops >&2; exit 7');
    t.equal(fail.code, 7, 'exit codes come back');
    t.equal(fail.stderr.trim(), 'oops', 'stderr comes back');
    await guest.check('head -c 100000 /dev/urandom > /tmp/blob && md5sum /tmp/blob > /tmp/blob.md5');
    const n = await guest.copyOut('/tmp/blob', join(dir, 'blob'));
    t.equal(n, 100000, 'a binary file is copied out whole');
    const sum = (await guest.check('cat /tmp/blob.md5')).stdout.split(' ')[0];
    const { createHash } = await import('node:crypto');
    t.equal(createHash('md5').update(await readFile(join(dir, 'blob'))).digest('hex'), sum, 'byte for byte');
  } finally {
    await guest.shutdown();
  }

  const crashing = await startGuest(prepared, quiet, { consoleFile: join(dir, 'console-crash.log') });
  const started = Date.now();
  try {
    await crashing.exec('echo c > /proc/sysrq-trigger');
    t.fail('the panic was not reported');
  } catch (err) {
    const elapsed = Date.now() - started;
    t.ok(err instanceof HoneError && err.code === 'E_KERNEL_CRASH', `reported as a kernel crash: ${(err as Error).message}`);
    t.ok(elapsed < 10000, `within 10 s (${elapsed} ms)`);
    t.ok((err as HoneError).details.some((l) => /sysrq triggered crash/.test(l)), 'the console lines are quoted');
  } finally {
    await crashing.shutdown();
  }
});
