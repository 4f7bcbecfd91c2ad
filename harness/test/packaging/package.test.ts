// The operator's path: the hone-dkms and hone-tools debs installed in a
// Debian guest made by debootstrap and booted with systemd; DKMS builds the
// modules for the guest's kernel, modprobe loads and unloads them; then
// hone.service records while traffic runs and logrotate rotates three
// times; on the host every file opens in tshark, the files hold every event
// of the traffic exactly once (against an unrotated reference recording),
// and the drop counters are 0. About five minutes under TCG (the first run
// also makes the Debian root). Needs the kernel fetched (`npm run setup`).
import t from 'tap';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog, pickKernels } from '../../catalog/catalog.ts';
import { catalogSource } from '../../catalog/source.ts';
import { runPackageTest } from '../../packaging/dkms-guest.ts';
import { quiet } from '../../util/log.ts';

// DKMS compiles the modules inside the TCG guest: 361 s measured with a
// quiet host, over 540 s while another matrix shares the two cores; more
// than the suite's 600 s per file.
t.setTimeout(25 * 60_000);

t.test('hone-dkms and hone-tools: install, DKMS, modprobe, the recorder service through logrotate', async (t) => {
  const [k] = pickKernels(await loadCatalog(), ['debian-6.1']);
  if (!k) throw new Error('unreachable');
  const r = await runPackageTest(catalogSource(k), quiet, await mkdtemp(join(tmpdir(), 'hone-pkg-')));
  t.same(r.steps, [
    'dpkg -i hone-dkms',
    'modprobe honeevent',
    'read /dev/honet',
    'modprobe -r honeevent',
    'dpkg -i hone-tools',
    'systemctl enable --now hone',
    'logrotate -f (1)',
    'logrotate -f (2)',
    'logrotate -f (3)',
    'systemctl stop hone',
  ]);
  t.match(r.deb, /hone-dkms_[\d.]+_all\.deb$/);
  t.match(r.toolsDeb, /hone-tools_[\d.]+_amd64\.deb$/);
  t.same(
    r.files.map((f) => f.name),
    ['hone.pcapng.3.gz', 'hone.pcapng.2.gz', 'hone.pcapng.1', 'hone.pcapng'],
    'three rotations (delaycompress: .1 stays plain)',
  );
  for (const f of r.files) t.ok(f.frames > 0, `${f.name}: ${f.frames} frames in tshark`);
  t.same(r.recording.problems, [], 'every packet once, every live event once, drops 0');
  t.equal(r.recording.sections, 4, 'one section per file');
  t.ok((r.recording.window?.reference ?? 0) > 1000, `${r.recording.window?.reference} live events of the traffic compared`);
  t.equal(r.guestModes['/var/log/hone'], '750 root:hone', 'the log folder');
  for (const f of r.files) t.equal(r.guestModes[`/var/log/hone/${f.name}`], '640 root:hone', `${f.name}: readable by group hone only`);
  t.comment(
    `${(r.durationMs / 1000).toFixed(0)} s, guest ${(r.guestMs / 1000).toFixed(0)} s; guest uptime at each step: ${r.stepTimes.map((x) => `${x.uptime.toFixed(0)} ${x.step}`).join(', ')}`,
  );
});
