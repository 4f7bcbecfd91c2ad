import t from 'tap';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from '../../vendor.ts';
import { bootStep, classifyLine, isSplat } from '../../guest/console.ts';
import { writeCpio } from '../../guest/cpio.ts';
import { parseModulesDep, loadOrder } from '../../guest/kernel-modules.ts';
import { qemuArgs } from '../../guest/qemu-args.ts';

t.test('console splats are recognised, ordinary lines are not', async (t) => {
  for (const l of [
    '[   12.1] Kernel panic - not syncing: sysrq triggered crash',
    '[    2.0] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI',
    '[    3.3] BUG: unable to handle page fault for address: 0000',
    '[    4.0] WARNING: CPU: 0 PID: 1 at kernel/x.c:10 f+0x1/0x2',
    '[    4.1] Call Trace:',
    '[    5.0] general protection fault, probably for non-canonical address',
  ])
    t.ok(isSplat(l), l);
  for (const l of ['[    1.0] Run /init as init process', 'HONE-READY 2.3', 'warning: nothing', 'DEBUG: fine']) t.notOk(isSplat(l), l);
  t.same(classifyLine('HONE-READY 4.52\r'), { kind: 'ready', uptime: 4.52 });
  t.same(classifyLine('HONE-MODULE-FAIL /lib/x.ko insmod: bad'), { kind: 'module-fail', detail: '/lib/x.ko insmod: bad' });
  t.same(classifyLine('HONE-MODULES-LOADED 3.95'), { kind: 'modules-loaded' });
  t.same(classifyLine('HONE-SSH-UP 3.10\r'), { kind: 'ssh-up' });
  t.same(classifyLine('HONE-SSH-FAIL'), { kind: 'ssh-fail' });
});

t.test("/init's steps carry the guest uptime", async (t) => {
  t.same(bootStep('HONE-NET-UP 3.04\r'), { step: 'net-up', uptime: 3.04 });
  t.same(bootStep('HONE-MODULES-LOADED 4'), { step: 'modules-loaded', uptime: 4 });
  t.same(bootStep('HONE-READY 4.52'), { step: 'ready', uptime: 4.52 });
  for (const l of ['HONE-INIT', 'HONE-NET-FAIL', 'HONE-MODULE-FAIL /x.ko 3', 'HONE-READY', 'x HONE-READY 4.5'])
    t.equal(bootStep(l), undefined, l);
});

t.test('cpio newc output is read back by cpio(1)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hone-cpio-'));
  const file = join(dir, 'x.cpio');
  await writeFile(
    file,
    writeCpio([
      { kind: 'dir', path: 'etc' },
      { kind: 'file', path: 'etc/hello', data: Buffer.from('hi\n'), mode: 0o600 },
      { kind: 'symlink', path: 'lib', target: 'usr/lib' },
    ]),
  );
  const r = await execa('cpio', ['-itv', '-F', file], { reject: false });
  t.equal(r.exitCode, 0, String(r.stderr));
  t.match(String(r.stdout), /drwxr-xr-x.*etc\n.*-rw-------.*etc\/hello\n.*lrwxrwxrwx.*lib -> usr\/lib/);
  const out = join(dir, 'out');
  await execa('sh', ['-c', `mkdir ${out} && cd ${out} && cpio -id -F ${file}`]);
  t.equal(await readFile(join(out, 'etc/hello'), 'utf8'), 'hi\n');
});

t.test('module load order follows modules.dep and skips built-ins', async (t) => {
  const idx = parseModulesDep(
    'kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko.xz kernel/net/core/failover.ko.xz\n' +
      'kernel/drivers/net/net_failover.ko.xz: kernel/net/core/failover.ko.xz\n' +
      'kernel/net/core/failover.ko.xz:\n',
    'kernel/drivers/virtio/virtio_pci.ko\n',
  );
  t.same(loadOrder(idx, ['virtio_pci', 'virtio_net'], 'k'), ['failover', 'net_failover', 'virtio_net']);
  t.throws(() => loadOrder(idx, ['nope'], 'k'), /neither built in nor in modules.dep/);
});

t.test('QEMU command line: accelerator, loopback-only port forward, console', async (t) => {
  const a = qemuArgs({ kernel: '/k', initrd: '/i', accel: 'tcg', smp: 1, memoryMiB: 256, sshPort: 2222 });
  t.match(a.join(' '), /-accel tcg,thread=single -cpu max -smp 1 -m 256/, 'single-threaded TCG by default');
  t.match(qemuArgs({ kernel: '/k', accel: 'tcg', smp: 2, memoryMiB: 256, tcgThread: 'multi' }).join(' '), /-accel tcg -cpu max -smp 2/);
  t.match(a.join(' '), /hostfwd=tcp:127\.0\.0\.1:2222-:22/);
  t.ok(a.includes('-no-reboot'));
  t.match(qemuArgs({ kernel: '/k', accel: 'kvm', smp: 2, memoryMiB: 512 }).join(' '), /-accel kvm -cpu host/);
});

t.test('a console excerpt starts at the splat, however long the trace after it', async (t) => {
  const { ConsoleTail } = await import('../../guest/console.ts');
  const tail = new ConsoleTail(200);
  for (let i = 0; i < 10; i++) tail.push(`boot ${i}`);
  tail.push('Kernel panic - not syncing: sysrq triggered crash');
  const mark = tail.mark();
  for (let i = 0; i < 100; i++) tail.push(`trace ${i}`);
  const ex = tail.excerpt(mark, 2, 10);
  t.same(ex.slice(0, 3), ['boot 8', 'boot 9', 'Kernel panic - not syncing: sysrq triggered crash']);
  t.equal(ex.length, 10);
  t.notOk(
    tail.last(40).some((l) => l.includes('Kernel panic')),
    'the plain tail would have lost it',
  );
});
