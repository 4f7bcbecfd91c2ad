import t from 'tap';
import { compareDebVersions } from '../../catalog/debversion.ts';
import { newestInSuites, parseDepends, parseStanzas } from '../../catalog/resolve.ts';

t.test('Debian version order', async (t) => {
  const cases: [string, string, number][] = [
    ['6.1.192-2', '6.1.176-1', 1],
    ['7.3~rc7-1~exp1', '7.2.13-1', 1],
    ['7.3~rc7-1', '7.3-1', -1],
    ['6.12.95-1~bpo12+1', '6.12.95-1', -1],
    ['1:1.0', '2.0', 1],
    ['5.10.262-1', '5.10.262-1', 0],
    ['1.0a', '1.0', 1],
    ['1.0-1', '1.0+b1-1', -1],
  ];
  for (const [a, b, want] of cases) t.equal(Math.sign(compareDebVersions(a, b)), want, `${a} vs ${b}`);
});

const madison = `linux-image-amd64 | 7.3~rc7-1~exp1 | http://deb.debian.org/debian experimental/main amd64 Packages
linux-image-amd64 |   7.2.13-1 | http://deb.debian.org/debian sid/main amd64 Packages
linux-image-amd64 |  6.1.192-2 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-amd64 |  6.1.176-1 | http://deb.debian.org/debian bookworm/main amd64 Packages
linux-image-amd64 | 5.10.223-1 | http://deb.debian.org/debian bullseye/main amd64 Packages`;

t.test('newest version within the catalog suites only', async (t) => {
  t.equal(newestInSuites(madison, ['bookworm', 'bookworm-security']), '6.1.192-2');
  t.equal(newestInSuites(madison, ['bookworm']), '6.1.176-1');
  t.equal(newestInSuites(madison, ['experimental']), '7.3~rc7-1~exp1');
  t.equal(newestInSuites(madison, ['trixie']), undefined);
});

t.test('Depends with versions and alternatives', async (t) => {
  t.same(parseDepends('linux-base-amd64 (= 7.2.13-1), dracut | initramfs-tools (>= 0.120), linux-kbuild-6.1 (>= 6.1.192-2)'), [
    { name: 'linux-base-amd64', op: '=', version: '7.2.13-1' },
    { name: 'dracut' },
    { name: 'linux-kbuild-6.1', op: '>=', version: '6.1.192-2' },
  ]);
  t.same(parseDepends(undefined), []);
});

t.test('apt-cache show stanzas', async (t) => {
  const s = parseStanzas('Package: a\nVersion: 1\nDescription: x\n more\n\nPackage: b\nSHA256: ff\n');
  t.equal(s.length, 2);
  t.equal(s[0]?.description, 'x\nmore');
  t.equal(s[1]?.sha256, 'ff');
});

t.test('a kernel built from source resolves to the newest linux-source in its suites, pinned with its sha256', async (t) => {
  const { resolveSourceKernel } = await import('../../catalog/resolve.ts');
  const { parseCatalog } = await import('../../catalog/catalog.ts');
  const [k] = parseCatalog('{"kernels":[{"id":"dbg","suite":"trixie","source":"linux-source-6.12","fragment":"d.config","gcc":14}]}');
  const asked: string[][] = [];
  const apt = {
    aptCache: async (args: string[]) => {
      asked.push(args);
      if (args[0] === 'madison') {
        return {
          stdout: `linux-source-6.12 | 6.12.119-1 | http://deb.debian.org/debian sid/main all Packages
linux-source-6.12 | 6.12.117-1 | http://deb.debian.org/debian trixie/main all Packages
linux-source-6.12 | 6.12.95-1~bpo12+1 | http://deb.debian.org/debian bookworm-backports/main all Packages`,
        };
      }
      return {
        stdout:
          'Package: linux-source-6.12\nVersion: 6.12.117-1\nFilename: pool/main/l/linux/linux-source-6.12_6.12.117-1_all.deb\nSize: 153474904\nSHA256: 9141325315c7f1eca682113d185a8c77c82814aa6e32f7e127e61d6106403835\n',
      };
    },
  };
  const r = await resolveSourceKernel(apt as never, k!, '-hone-debug');
  t.equal(r.version, '6.12.117-1', "trixie only: not sid's newer one");
  t.equal(r.release, '6.12.117-hone-debug', 'upstream version + CONFIG_LOCALVERSION');
  t.same(r.packages, [
    {
      name: 'linux-source-6.12',
      version: '6.12.117-1',
      filename: 'pool/main/l/linux/linux-source-6.12_6.12.117-1_all.deb',
      size: 153474904,
      sha256: '9141325315c7f1eca682113d185a8c77c82814aa6e32f7e127e61d6106403835',
    },
  ]);
  t.same(asked, [
    ['madison', 'linux-source-6.12'],
    ['show', 'linux-source-6.12=6.12.117-1'],
  ]);
  const none = { aptCache: async () => ({ stdout: '' }) };
  await t.rejects(resolveSourceKernel(none as never, k!, ''), {
    code: 'E_KERNEL_RESOLVE',
    message: /no linux-source-6\.12 found in suites trixie/,
  });
});
