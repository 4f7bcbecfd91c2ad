import t from 'tap';
import { vermagicMismatch } from '../../build/vermagic.ts';
import { chooseToolchain } from '../../build/toolchain.ts';

t.test('vermagic check', async (t) => {
  const kernel = '6.1.0-56-amd64 SMP preempt mod_unload modversions ';
  t.equal(vermagicMismatch('6.1.0-56-amd64 SMP preempt mod_unload modversions', kernel), undefined);
  t.match(vermagicMismatch('6.1.0-55-amd64 SMP preempt mod_unload modversions', kernel), /built for release 6.1.0-55-amd64, kernel is 6.1.0-56-amd64/);
  t.match(vermagicMismatch('6.1.0-56-amd64 SMP mod_unload modversions', kernel), /module lacks: preempt/);
});

t.test('toolchain: host when its gcc is new enough, else the suite build root', async (t) => {
  t.equal(chooseToolchain('gcc-10 (Debian 10.2.1-6) 10.2.1 20210110', 'bullseye', 12).kind, 'host');
  t.equal(chooseToolchain('gcc-12 (Debian 12.2.0-14) 12.2.0', 'bookworm', 12).kind, 'host');
  const tc = chooseToolchain('x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0', 'trixie', 12);
  t.same([tc.kind, tc.kind === 'buildroot' && tc.suite, tc.major], ['buildroot', 'trixie', 14]);
  t.equal(chooseToolchain('gcc-16 (Debian 16.2.0-4) 16.2.0', 'sid', undefined).kind, 'buildroot');
});
