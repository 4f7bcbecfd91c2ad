import t from 'tap';
import { arch, arches, crossPrefix, elfMachineOf, hostArch } from '../../catalog/arch.ts';
import { parseCatalog } from '../../catalog/catalog.ts';
import { qemuArgs } from '../../guest/qemu-args.ts';
import { chooseToolchain } from '../../kbuild/toolchain.ts';
import { downloadedName } from '../../fetch/download.ts';

t.test('arm64 guests: virt board with GICv3, max CPU with the cheap pauth, ttyAMA0', async (t) => {
  const a = qemuArgs({ arch: arches.arm64, kernel: 'Image', accel: 'tcg', smp: 2, memoryMiB: 512 });
  t.same(a.slice(0, 2), ['-M', 'virt,gic-version=3']);
  t.equal(a[a.indexOf('-cpu') + 1], 'max,pauth-impdef=on');
  t.match(a[a.indexOf('-append') + 1], /^console=ttyAMA0 /);
  const x = qemuArgs({ kernel: 'bzImage', accel: 'tcg', smp: 2, memoryMiB: 512 });
  t.notOk(x.includes('-M'), 'amd64 keeps the default PC');
  t.match(x[x.indexOf('-append') + 1], /^console=ttyS0 /);
});

t.test('cross prefix and ELF machine', async (t) => {
  t.equal(crossPrefix(arches.arm64, arches.amd64), 'aarch64-linux-gnu-');
  t.equal(crossPrefix(arches.arm64, arches.arm64), '');
  t.equal(hostArch('x64')?.debian, 'amd64');
  const elf = Buffer.alloc(20);
  elf.writeUInt32BE(0x7f454c46, 0);
  elf[5] = 1;
  elf.writeUInt16LE(183, 18);
  t.equal(elfMachineOf(elf), arches.arm64.elfMachine);
  t.equal(elfMachineOf(Buffer.from('not an elf file at all')), 0);
  t.throws(() => arch('riscv64'), /unknown architecture/);
});

t.test('catalog "arch": Debian names only, not on source kernels', async (t) => {
  const [k] = parseCatalog('{"kernels":[{"id":"a","suite":"sid","flavour":"arm64","arch":"arm64"}]}');
  t.equal(k?.arch, 'arm64');
  t.throws(() => parseCatalog('{"kernels":[{"id":"a","suite":"sid","flavour":"arm64","arch":"aarch64"}]}'), /"arch" must be one of/);
  t.throws(
    () => parseCatalog('{"kernels":[{"id":"a","suite":"sid","source":"linux-source-6.12","fragment":"x.config","gcc":14,"arch":"arm64"}]}'),
    /amd64 only/,
  );
});

t.test('cross toolchains: the host cross gcc when new enough, else a build root with its cross gcc', async (t) => {
  const host = chooseToolchain('gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0', 'bookworm', 12, 'aarch64-linux-gnu-');
  t.equal(host.kind, 'host');
  t.equal(host.kind === 'host' && host.gcc, 'aarch64-linux-gnu-gcc');
  t.equal(host.cross, 'aarch64-linux-gnu-');
  const root = chooseToolchain('gcc-14 (Debian 14.2.0-19) 14.2.0', 'trixie', 12, 'aarch64-linux-gnu-');
  t.equal(root.kind, 'buildroot');
  t.equal(root.major, 14);
});

t.test('apt-get download quotes an epoch into the file name', async (t) => {
  const p = {
    name: 'zlib1g',
    version: '1:1.2.13.dfsg-1',
    filename: 'pool/main/z/zlib/zlib1g_1.2.13.dfsg-1_arm64.deb',
    size: 1,
    sha256: '',
  };
  t.equal(downloadedName(p), 'zlib1g_1%3a1.2.13.dfsg-1_arm64.deb');
  t.equal(downloadedName({ ...p, version: '1.2.13.dfsg-1' }), 'zlib1g_1.2.13.dfsg-1_arm64.deb');
});
