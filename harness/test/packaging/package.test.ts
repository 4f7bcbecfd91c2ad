// The operator's path: the hone-dkms deb installed in a Debian guest made by
// debootstrap; DKMS builds the modules for the guest's kernel, modprobe loads
// them, /dev/honet gives events, modprobe -r unloads. About two minutes under
// TCG. Needs the kernel fetched (`npm run setup` does it).
import t from 'tap';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, pickKernels } from '../../catalog/catalog.ts';
import { runPackageTest } from '../../packaging/dkms-guest.ts';
import { quiet } from '../../util/log.ts';

t.test('hone-dkms installs through DKMS in a Debian guest and loads', async (t) => {
  const [k] = pickKernels(await loadCatalog(), ['debian-6.1']);
  if (!k) throw new Error('unreachable');
  const r = await runPackageTest(k, quiet, await mkdtemp(join(tmpdir(), 'hone-pkg-')));
  t.same(r.steps, ['dpkg -i hone-dkms', 'modprobe honeevent', 'read /dev/honet', 'modprobe -r honeevent']);
  t.match(r.deb, /hone-dkms_[\d.]+_all\.deb$/);
});
