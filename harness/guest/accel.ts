// Choosing the accelerator: KVM only if it really runs a guest here (seeing
// /dev/kvm is not enough: on nested hosts guests hang after "Booting from
// ROM"), found by booting a kernel under KVM and waiting for its first line;
// TCG otherwise. The answer is kept per host boot. HONE_ACCEL=kvm|tcg forces.
import { access, constants, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from '../vendor.ts';
import { cachePaths } from '../util/paths.ts';
import type { Logger } from '../util/log.ts';
import { qemuArgs, type Accel } from './qemu-args.ts';

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
  const probe = await kvmBoots(probeKernel);
  const choice: AccelChoice = probe.ok
    ? { accel: 'kvm', reason: 'KVM booted a test kernel' }
    : { accel: 'tcg', reason: `/dev/kvm exists but cannot run a guest (${probe.why}): using TCG` };
  await mkdir(cachePaths().root, { recursive: true });
  await writeFile(cacheFile, JSON.stringify({ ...choice, bootId }));
  return choice;
}

async function kvmBoots(kernel: string): Promise<{ ok: boolean; why: string }> {
  const args = qemuArgs({ kernel, accel: 'kvm', smp: 1, memoryMiB: 256, append: 'console=ttyS0 panic=-1 loglevel=7' });
  const child = execa('qemu-system-x86_64', args, { reject: false, stdin: 'ignore', timeout: 15000 });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (/Linux version|Kernel panic|VFS:/.test(d.toString())) {
        child.kill('SIGKILL');
        resolve({ ok: true, why: '' });
      }
    });
    void child.then((r) => {
      const first = stderr
        .split('\n')
        .find((l) => l.trim())
        ?.replace(/^qemu-system-x86_64:\s*/, '');
      resolve({
        ok: false,
        why: r.timedOut
          ? 'a kernel booted under KVM printed nothing in 15 s (nested KVM?)'
          : `QEMU with KVM failed: ${first ?? `exit code ${r.exitCode}`}`,
      });
    });
  });
}
