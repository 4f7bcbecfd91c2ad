// Choosing the accelerator: KVM only if it really runs a guest here (seeing
// /dev/kvm is not enough: on nested hosts guests hang after "Booting from
// ROM"), found by booting a kernel under KVM and waiting for its first line;
// TCG otherwise. The answer is kept per host boot. HONE_ACCEL=kvm|tcg forces.
import { access, constants, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cachePaths } from '../util/paths.ts';
import type { Logger } from '../util/log.ts';
import type { Accel } from './qemu-args.ts';
import { spawnQemu } from './qemu.ts';

export interface AccelChoice {
  accel: Accel;
  reason: string;
}

export async function chooseAccel(probeKernel: string, logger: Logger, env = process.env): Promise<AccelChoice> {
  const forced = env.HONE_ACCEL;
  if (forced === 'kvm' || forced === 'tcg') return { accel: forced, reason: `HONE_ACCEL=${forced}` };
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: '/dev/kvm is missing or not accessible to this user (TCG: slower, works everywhere)' };
  }
  const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim();
  const cacheFile = join(cachePaths().root, 'accel.json');
  const cached = await readFile(cacheFile, 'utf8')
    .then((t) => JSON.parse(t) as AccelChoice & { bootId: string })
    .catch(() => undefined);
  if (cached && cached.bootId === bootId) return { accel: cached.accel, reason: `${cached.reason} (probed earlier this host boot)` };
  logger('probing KVM by booting a kernel under it (once per host boot)');
  await mkdir(cachePaths().root, { recursive: true });
  const probe = await kvmBoots(probeKernel);
  const choice: AccelChoice = probe.ok
    ? { accel: 'kvm', reason: 'KVM booted a test kernel' }
    : { accel: 'tcg', reason: `/dev/kvm exists but cannot run a guest (${probe.why}): using TCG` };
  await writeFile(cacheFile, JSON.stringify({ ...choice, bootId }));
  return choice;
}

async function kvmBoots(vmlinuz: string): Promise<{ ok: boolean; why: string }> {
  const consoleFile = join(cachePaths().root, 'accel-probe.log');
  const qemu = spawnQemu(
    { kernel: vmlinuz, accel: 'kvm', smp: 1, memoryMiB: 256, append: 'console=ttyS0 panic=-1 loglevel=7' },
    consoleFile,
    {
      timeoutMs: 15000,
    },
  );
  let complaint: string | undefined;
  qemu.onLine((l) => {
    if (l.from === 'qemu' && l.text.trim()) complaint ??= l.text.replace(/^qemu-system-\S+:\s*/, '');
  });
  const first = await qemu.waitFor((l) => l.from === 'console' && /Linux version|Kernel panic|VFS:/.test(l.text));
  if (first) {
    await qemu.kill();
    return { ok: true, why: '' };
  }
  const r = await qemu.exited;
  return {
    ok: false,
    why: r.timedOut
      ? 'a kernel booted under KVM printed nothing in 15 s (nested KVM?)'
      : `QEMU with KVM failed: ${complaint ?? `exit code ${r.code}`}`,
  };
}
