// The debug kernel's reports fail a run: KASAN, lockdep, the atomic-sleep
// check and kmemleak, as the console classifier and the kmemleak check see
// them (texts as the 6.12 kernel prints them: kernel/locking/lockdep.c,
// kernel/sched/core.c, mm/kasan/report.c, mm/kmemleak.c).
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { classifyLine, isSplat } from '../../guest/console.ts';
import { describeLeaks, leakCrash, parseKmemleak, scanKmemleak, hasKmemleak, type ShellRunner } from '../../guest/kmemleak.ts';
import { isDebugConfig } from '../../guest/prepare.ts';
import { qemuArgs } from '../../guest/qemu-args.ts';
import { HoneError } from '../../util/errors.ts';
import { repoRoot } from '../../util/paths.ts';

const fixtures = join(repoRoot, 'harness', 'test', 'fixtures', 'debug-kernel');

t.test('KASAN, lockdep, atomic-sleep and kmemleak lines are crashes', async (t) => {
  for (const l of [
    '[   61.291950] BUG: KASAN: slab-use-after-free in kfault_init+0x6d/0x1000 [kfault]',
    '[   12.000000] BUG: KASAN: invalid-access',
    '[   70.1] WARNING: possible circular locking dependency detected',
    '[   70.1] WARNING: possible recursive locking detected',
    '[   70.1] WARNING: inconsistent lock state',
    '[   70.1] WARNING: possible irq lock inversion dependency detected',
    '[   70.1] WARNING: suspicious RCU usage',
    '[   70.1] WARNING: lock held when returning to user space!',
    '[   70.1] WARNING: bad unlock balance detected!',
    '[   70.1] BUG: sleeping function called from invalid context at kernel/locking/mutex.c:585',
    '[   70.1] BUG: MAX_LOCKDEP_KEYS too low!',
    '[   70.1] BUG: Invalid wait context',
    '[   80.2] unreferenced object 0xffff888005546140 (size 32):',
  ]) {
    t.ok(isSplat(l), l);
    t.equal(classifyLine(`${l}\r`).kind, 'splat');
  }
  for (const l of [
    '[    0.000000] kasan: KernelAddressSanitizer initialized',
    '[    0.000000] rcu: 	RCU lockdep checking is enabled.',
    '[    0.000000] ... MAX_LOCKDEP_SUBCLASSES:  8',
    '[   40.496309] kmemleak: Kernel memory leak detector initialized (mem pool available: 15255)',
    '[   40.5] Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar',
  ])
    t.notOk(isSplat(l), `not a report: ${l}`);
});

t.test('a real kmemleak report (kmemleak-test.ko on debian-6.12-debug) names every object and who allocated it', async (t) => {
  const report = await readFile(join(fixtures, 'kmemleak-test-6.12.txt'), 'utf8');
  const objects = parseKmemleak(report);
  t.equal(objects.length, 26);
  t.same(objects[0], {
    address: '0xffff888005546140',
    size: 32,
    comm: 'insmod',
    pid: 66,
    backtrace: objects[0]?.backtrace,
    allocatedBy: "0xffffffffa00171db (code since freed: a module's init or an unloaded module), called from do_one_initcall+0xc2/0x380",
  });
  t.equal(objects[0]?.backtrace[0], '__kmalloc_cache_noprof+0x1a3/0x340');
  t.ok(objects.every((o) => o.comm === 'insmod' && o.allocatedBy !== '?'));
  t.match(describeLeaks(objects)[0], /^0xffff888005546140 \(32 bytes\) allocated by 0xffffffffa00171db .* \(insmod, pid 66\)$/);
  const crash = leakCrash(report, { kernel: 'debian-6.12-debug', when: 'after scenario x', file: '/r/kmemleak.txt' });
  t.ok(crash instanceof HoneError);
  t.equal(crash?.code, 'E_KERNEL_CRASH', 'a leak is a kernel crash');
  t.match(crash?.message, /^kmemleak: 26 unreferenced object\(s\) after scenario x: /);
  t.ok(
    crash?.details.some((d) => d.startsWith('unreferenced object 0xffff888005546140 (size 32):')),
    'the report itself is quoted',
  );
  t.equal(leakCrash('', { kernel: 'k', when: 'w' }), undefined, 'an empty report is no crash');
  t.equal(leakCrash('\n', { kernel: 'k', when: 'w' }), undefined);
});

t.test('a named allocator frame is the one reported', async (t) => {
  const [o] = parseKmemleak(
    'unreferenced object 0xffff8880 (size 64):\n  comm "hone-runner", pid 12, jiffies 1\n  backtrace (crc 0):\n    [<ffffffff81000000>] __kmalloc_noprof+0x1/0x2\n    [<ffffffffa0000000>] hone_socket_new+0x10/0x80 [socket_notify]\n    security_sk_alloc+0x1/0x2\n',
  );
  t.equal(o?.allocatedBy, 'hone_socket_new+0x10/0x80 [socket_notify]', 'old-style [<addr>] frames too');
  t.match(
    leakCrash(
      'unreferenced object 0xffff8880 (size 64):\n  comm "x", pid 1, jiffies 1\n  backtrace (crc 0):\n    kmalloc_trace+0x1/0x2\n    hone_socket_new+0x10/0x80 [socket_notify]\n',
      { kernel: 'k', when: 'after unloading the modules' },
    )?.message,
    /after unloading the modules: hone_socket_new \[socket_notify\]$/,
  );
});

t.test("the scan waits out kmemleak's minimum age, scans twice, reads and clears; a failed scan is an error", async (t) => {
  const calls: string[] = [];
  const guest = (code: number, stdout: string): ShellRunner => ({
    exec: async (c) => {
      calls.push(c);
      return { code, stdout, stderr: code ? 'sh: write error: Operation not permitted' : '' };
    },
  });
  t.equal(await scanKmemleak(guest(0, ''), { kernel: 'k', sinceMs: Date.now() - 60000 }), '');
  t.match(
    calls.at(-1),
    /^echo scan > \/sys\/kernel\/debug\/kmemleak && echo scan > \/sys\/kernel\/debug\/kmemleak && cat \/sys\/kernel\/debug\/kmemleak && echo clear > \/sys\/kernel\/debug\/kmemleak$/,
  );
  const t0 = Date.now();
  await scanKmemleak(guest(0, 'unreferenced object 0x1 (size 1):\n'), { kernel: 'k', sinceMs: Date.now() - 4000 });
  t.ok(Date.now() - t0 >= 1400, 'an allocation 4 s old: waits until it is past the 5 s minimum age');
  await t.rejects(scanKmemleak(guest(1, ''), { kernel: 'k', sinceMs: 0 }), { code: 'E_KERNEL_CRASH', message: /kmemleak scan failed/ });
  t.equal(await hasKmemleak(guest(1, '')), false, 'no kmemleak file: no checks');
  t.equal(await hasKmemleak(guest(0, '')), true);
});

t.test("debug kernels: recognised by their config, booted with the catalog entry's cmdline", async (t) => {
  t.ok(isDebugConfig('CONFIG_X=y\nCONFIG_KASAN=y\n'));
  t.ok(isDebugConfig('CONFIG_PROVE_LOCKING=y\n'));
  t.notOk(isDebugConfig('# CONFIG_KASAN is not set\nCONFIG_KASAN_SHADOW_OFFSET=0x1\n'));
  const a = qemuArgs({ kernel: '/k', accel: 'tcg', smp: 2, memoryMiB: 512, extraAppend: 'panic_on_warn=1 kmemleak=on' });
  t.equal(a[a.indexOf('-append') + 1], 'console=ttyS0 panic=-1 loglevel=5 oops=panic panic_on_warn=1 kmemleak=on');
  const b = qemuArgs({ kernel: '/k', accel: 'tcg', smp: 2, memoryMiB: 512 });
  t.equal(b[b.indexOf('-append') + 1], 'console=ttyS0 panic=-1 loglevel=5 oops=panic', 'stock kernels as before');
});

t.test('real reports of debian-6.12-debug (fixtures/kfault in a guest): the first splat line names the bug', async (t) => {
  const first = async (file: string) =>
    (await readFile(join(fixtures, file), 'utf8'))
      .split('\n')
      .find((l) => classifyLine(l).kind === 'splat')
      ?.replace(/\r$/, ''); // the serial console's CRLF kept
  t.match(
    await first('kasan-uaf-6.12.txt'),
    /\] BUG: KASAN: slab-use-after-free in kfault_uaf\+0x[0-9a-f]+\/0x[0-9a-f]+ \[kfault\]$/,
    'KASAN',
  );
  t.match(await first('lockdep-circular-6.12.txt'), /\] WARNING: possible circular locking dependency detected$/, 'lockdep');
  const kasan = await readFile(join(fixtures, 'kasan-uaf-6.12.txt'), 'utf8');
  t.match(kasan, /Read of size 1 at addr [0-9a-f]+ by task insmod/);
  t.match(kasan, /Kernel panic - not syncing: KASAN: panic_on_warn set/, 'panic_on_warn turns the report into a panic');
});
