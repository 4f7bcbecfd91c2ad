import t from 'tap';
import { vermagicMismatch } from '../../kbuild/vermagic.ts';
import { chooseToolchain } from '../../kbuild/toolchain.ts';

t.test('vermagic check', async (t) => {
  const kernel = '6.1.0-56-amd64 SMP preempt mod_unload modversions ';
  t.equal(vermagicMismatch('6.1.0-56-amd64 SMP preempt mod_unload modversions', kernel), undefined);
  t.match(
    vermagicMismatch('6.1.0-55-amd64 SMP preempt mod_unload modversions', kernel),
    /built for release 6.1.0-55-amd64, kernel is 6.1.0-56-amd64/,
  );
  t.match(vermagicMismatch('6.1.0-56-amd64 SMP mod_unload modversions', kernel), /module lacks: preempt/);
});

t.test('toolchain: host when its gcc is new enough, else the suite build root', async (t) => {
  t.equal(chooseToolchain('gcc-10 (Debian 10.2.1-6) 10.2.1 20210110', 'bullseye', 12).kind, 'host');
  t.equal(chooseToolchain('gcc-12 (Debian 12.2.0-14) 12.2.0', 'bookworm', 12).kind, 'host');
  const tc = chooseToolchain('x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0', 'trixie', 12);
  t.same([tc.kind, tc.kind === 'buildroot' && tc.suite, tc.major], ['buildroot', 'trixie', 14]);
  t.equal(chooseToolchain('gcc-16 (Debian 16.2.0-4) 16.2.0', 'sid', undefined).kind, 'buildroot');
});

t.test('build root lock: taken in a cache with no buildroots folder yet, held, stale locks cleared', async (t) => {
  const { mkdtemp, utimes } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { tryLock } = await import('../../util/lock.ts');
  const lock = join(await mkdtemp(join(tmpdir(), 'hone-cache-')), 'buildroots', 'x.lock');
  t.equal(await tryLock(lock), true, 'a fresh cache: the parent is made and the lock taken');
  t.equal(await tryLock(lock), false, 'held: a second taker waits');
  const old = new Date(Date.now() - 60 * 60 * 1000);
  await utimes(lock, old, old);
  t.equal(await tryLock(lock), false, 'a stale lock is removed, not taken in the same call');
  t.equal(await tryLock(lock), true, 'then it can be taken');
});
