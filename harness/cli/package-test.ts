// hone package-test [kernel]: build the hone-dkms and hone-tools debs,
// install them in a Debian guest made by debootstrap (systemd boots it),
// check DKMS builds and modprobe loads the modules, then run the recorder
// as a service through three logrotate rotations and check its files.
import { join } from 'node:path';
import { runPackageTest } from '../packaging/dkms-guest.ts';
import { HoneError, withKernel } from '../util/errors.ts';
import { log, prefixed } from '../util/log.ts';
import { defineCommand } from './args.ts';
import { selectKernels } from './select.ts';
import { requireAmd64 } from '../catalog/arch.ts';

const spec = {
  out: { type: 'string', help: "folder for the console log and the recorder's files (default results/package-test/<kernel>)" },
} as const;

export const packageTestCommand = defineCommand('package-test', '[kernel (default debian-6.1)]', spec, async ({ flags, positional }) => {
  const [source] = await selectKernels([positional[0] ?? 'debian-6.1'], false, 'package-test');
  const k = { id: source!.kernelId };
  requireAmd64(source!, 'package-test', 'its debs are built for the host and its guest is a debootstrapped amd64 Debian');
  const out = flags.out ?? join('results', 'package-test', k.id);
  const r = await withKernel(k.id, () => runPackageTest(source!, prefixed(k.id), out));
  const v = r.recording;
  log(`steps (guest uptime in s): ${r.stepTimes.map((x) => `${x.uptime.toFixed(0)} ${x.step}`).join(' -> ')}`);
  for (const f of r.files) log(`  ${f.name}: ${f.bytes} bytes, mode ${f.mode}, ${f.frames} frames in tshark (with hone.lua)`);
  log(
    `recording: ${v.files} files, ${v.sections} sections, ${v.packets} packets (ids ${v.packetIds?.first}..${v.packetIds?.last}), ` +
      `between the markers ${v.window?.reference ?? '?'} live events in the reference, ${v.window?.recorded ?? '?'} in the files ` +
      `(+${v.window?.snapshotOrLive ?? '?'} snapshot-or-live), drops ${Object.values(v.drops).reduce((a, b) => a + b, 0n)}`,
  );
  if (!v.ok)
    throw new HoneError('E_CAPTURE', `package test on ${k.id}: the recorder's files are wrong`, {
      kernel: k.id,
      details: v.problems,
      hint: `the files: ${join(out, 'recording')}`,
    });
  log(
    `package test passed on ${k.id} in ${(r.durationMs / 1000).toFixed(0)} s (guest ${(r.guestMs / 1000).toFixed(0)} s); console: ${r.consoleFile}`,
  );
  return 0;
});
