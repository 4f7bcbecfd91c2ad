// Boot overhead: a bare `qemu -kernel -initrd` boot of the same kernel to a
// busybox prompt against the harness's boot to ready (modules loaded, SSH
// up), same accelerator, memory and vCPUs, interleaved run by run.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreparedKernel } from '../guest/prepare.ts';
import { startGuest } from '../guest/prepare.ts';
import { Files } from '../guest/initramfs.ts';
import { gzipCpio } from '../guest/cpio.ts';
import { spawnQemu } from '../guest/qemu.ts';
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
}

const memoryMiB = 512;

export async function measureBoot(p: PreparedKernel, runs: number, out: string, logger: Logger): Promise<BootMeasure> {
  await mkdir(out, { recursive: true });
  const bareImage = join(out, `${p.source.kernelId}-bare.cpio.gz`);
  await writeFile(bareImage, await bareInitramfs());
  const smp = p.source.smp;
  const bare: number[] = [];
  const ready: number[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(await bareBoot(p, bareImage, smp, join(out, `${p.source.kernelId}-bare-${i}.log`)));
    const g = await startGuest(p, logger, {
      smp,
      consoleFile: join(out, `${p.source.kernelId}-ready-${i}.log`),
      memoryMiB,
    });
    ready.push(g.readyMs);
    await g.shutdown();
    logger(`boot run ${i + 1}/${runs}: bare ${bare.at(-1)} ms, harness ready ${ready.at(-1)} ms`);
  }
  return {
    kernel: p.source.kernelId,
    accel: p.accel.accel,
    smp,
    memoryMiB,
    bareMs: summarize(bare),
    readyMs: summarize(ready),
    ratio: summarize(ready.map((r, i) => r / (bare[i] as number))),
  };
}

// --- internal ---

async function bareInitramfs(): Promise<Buffer> {
  const f = new Files();
  for (const d of ['proc', 'dev', 'bin', 'sbin', 'usr/bin', 'usr/sbin']) f.dir(d);
  f.file('bin/busybox', await readFile('/bin/busybox'), 0o755);
  f.file('init', Buffer.from('#!/bin/busybox sh\n/bin/busybox --install -s\necho BARE-PROMPT\npoweroff -f\n'), 0o755);
  return gzipCpio(f.entries());
}

/** Milliseconds from QEMU's start to the busybox shell's first line. */
async function bareBoot(p: PreparedKernel, initrd: string, smp: number, consoleFile: string): Promise<number> {
  const started = Date.now();
  const qemu = spawnQemu({ kernel: p.bundle.vmlinuz, initrd, accel: p.accel.accel, smp, memoryMiB }, consoleFile, { timeoutMs: 120000 });
  const prompt = await qemu.waitFor((l) => l.from === 'console' && l.text.includes('BARE-PROMPT'));
  const at = Date.now() - started;
  await qemu.exited;
  if (!prompt)
    throw new HoneError('E_GUEST_BOOT', 'the bare boot never reached its busybox prompt', {
      kernel: p.source.kernelId,
      hint: `console: ${consoleFile}`,
    });
  return at;
}
