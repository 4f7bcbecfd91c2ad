// Boot overhead: a bare `qemu -kernel -initrd` boot of the same kernel to a
// busybox prompt against the harness's boot to ready (modules loaded, SSH
// up), same accelerator, memory and vCPUs, interleaved run by run. Beside
// the ratio, where the harness's boot spends its time: the guest uptime at
// each step of its /init and the host time from HONE-READY to SSH answering.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreparedKernel } from '../guest/prepare.ts';
import { startGuest } from '../guest/prepare.ts';
import { Files } from '../guest/initramfs.ts';
import { writeCpio } from '../guest/cpio.ts';
import { spawnQemu } from '../guest/qemu.ts';
import type { Guest } from '../guest/guest.ts';
import type { Logger } from '../util/log.ts';
import { HoneError } from '../util/errors.ts';
import { summarize, type Summary } from './stats.ts';

export interface BootMeasure {
  kernel: string;
  accel: string;
  smp: number;
  memoryMiB: number;
  bareMs: Summary;
  readyMs: Summary;
  ratio: Summary;
  /** Guest uptime (s) at each step of /init (mounted, net-up, ssh-up, modules-loaded, ready). */
  stepsS: Record<string, Summary>;
  /** Host ms from the HONE-READY line to SSH answering (0 when SSH was up first). */
  sshAfterReadyMs: Summary;
  /** Guest uptime (s) at the bare boot's prompt. */
  bareUptimeS: Summary;
}

export interface BootRunOptions {
  runs: number;
  out: string;
  logger: Logger;
}

const memoryMiB = 512;

export async function measureBoot(p: PreparedKernel, o: BootRunOptions): Promise<BootMeasure> {
  const { runs, out, logger } = o;
  await mkdir(out, { recursive: true });
  const bareImage = join(out, `${p.source.kernelId}-bare.cpio`);
  await writeFile(bareImage, await bareInitramfs());
  const smp = p.source.smp;
  const bare: number[] = [];
  const bareUptime: number[] = [];
  const ready: number[] = [];
  const guests: Guest['timeline'][] = [];
  for (let i = 0; i < runs; i++) {
    const b = await bareBoot(p, bareImage, smp, join(out, `${p.source.kernelId}-bare-${i}.log`));
    bare.push(b.ms);
    bareUptime.push(b.uptime);
    const g = await startGuest(p, logger, {
      smp,
      consoleFile: join(out, `${p.source.kernelId}-ready-${i}.log`),
      memoryMiB,
    });
    ready.push(g.readyMs);
    guests.push(g.timeline);
    await g.shutdown();
    const steps = g.timeline.steps.map((x) => `${x.step} ${x.uptime.toFixed(2)}`).join(', ');
    logger(
      `boot run ${i + 1}/${runs}: bare ${b.ms} ms (uptime ${b.uptime.toFixed(2)} s), harness ready ${g.readyMs} ms (guest uptime s: ${steps}; SSH +${sshAfterReady(g.timeline)} ms after HONE-READY)`,
    );
  }
  return {
    kernel: p.source.kernelId,
    accel: p.accel.accel,
    smp,
    memoryMiB,
    bareMs: summarize(bare),
    readyMs: summarize(ready),
    ratio: summarize(ready.map((r, i) => r / (bare[i] as number))),
    ...bootTimes(guests),
    bareUptimeS: summarize(bareUptime),
  };
}

/** Per-step summaries over several boots' timelines (a step missing from a boot is left out of its summary). */
export function bootTimes(timelines: Guest['timeline'][]): Pick<BootMeasure, 'stepsS' | 'sshAfterReadyMs'> {
  const byStep = new Map<string, number[]>();
  for (const t of timelines) for (const s of t.steps) byStep.set(s.step, [...(byStep.get(s.step) ?? []), s.uptime]);
  return {
    stepsS: Object.fromEntries([...byStep].map(([step, up]) => [step, summarize(up)])),
    sshAfterReadyMs: summarize(timelines.map(sshAfterReady)),
  };
}

// --- internal ---

function sshAfterReady(t: Guest['timeline']): number {
  return Math.max(0, t.connectedMs - t.readyLineMs);
}

async function bareInitramfs(): Promise<Buffer> {
  const f = new Files();
  for (const d of ['proc', 'dev', 'bin', 'sbin', 'usr/bin', 'usr/sbin']) f.dir(d);
  f.file('bin/busybox', await readFile('/bin/busybox'), 0o755);
  f.file(
    'init',
    Buffer.from(
      '#!/bin/busybox sh\n/bin/busybox --install -s\nmount -t proc proc /proc\necho "BARE-PROMPT $(cut -d\' \' -f1 /proc/uptime)"\npoweroff -f\n',
    ),
    0o755,
  );
  // not compressed, as the harness's own image (guest/initramfs.ts): the same unpacking on both sides
  return writeCpio(f.entries());
}

/** Milliseconds from QEMU's start to the busybox shell's first line, and the guest uptime then. */
async function bareBoot(p: PreparedKernel, initrd: string, smp: number, consoleFile: string): Promise<{ ms: number; uptime: number }> {
  const started = Date.now();
  const qemu = spawnQemu({ kernel: p.bundle.vmlinuz, initrd, accel: p.accel.accel, smp, memoryMiB }, consoleFile, {
    timeoutMs: 120000,
  });
  const prompt = await qemu.waitFor((l) => l.from === 'console' && l.text.includes('BARE-PROMPT'));
  const at = Date.now() - started;
  await qemu.exited;
  if (!prompt)
    throw new HoneError('E_GUEST_BOOT', 'the bare boot never reached its busybox prompt', {
      kernel: p.source.kernelId,
      hint: `console: ${consoleFile}`,
    });
  return { ms: at, uptime: Number(/BARE-PROMPT ([\d.]+)/.exec(prompt.text)?.[1] ?? Number.NaN) };
}
