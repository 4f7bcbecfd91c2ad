import t from 'tap';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { debState } from '../../fetch/download.ts';
import { relativiseHeadersMakefile } from '../../fetch/extract.ts';
import { parseSourceUris } from '../../fetch/mirror.ts';
import { ccMajor } from '../../fetch/bundle.ts';
import { cacheRoot } from '../../util/paths.ts';

t.test('cache verification: intact, missing, truncated, corrupted', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hone-debs-'));
  const data = Buffer.from('a package body'.repeat(100));
  const sha256 = createHash('sha256').update(data).digest('hex');
  const pkg = { name: 'p', version: '1', filename: 'pool/main/p/p_1_amd64.deb', size: data.length, sha256 };
  t.equal(await debState(dir, pkg), 'missing');
  await writeFile(join(dir, 'p_1_amd64.deb'), data);
  t.equal(await debState(dir, pkg), 'cached');
  await writeFile(join(dir, 'p_1_amd64.deb'), data.subarray(0, 100));
  t.equal(await debState(dir, pkg), 'corrupt', 'a truncated file is caught');
  const flipped = Buffer.from(data);
  flipped[10] = (flipped[10] ?? 0) ^ 1;
  await writeFile(join(dir, 'p_1_amd64.deb'), flipped);
  t.equal(await debState(dir, pkg), 'corrupt', 'one flipped bit is caught');
});

t.test('headers Makefile fix-up makes the tree relocatable', async (t) => {
  const r = relativiseHeadersMakefile('include /usr/src/linux-headers-6.1.0-56-common/Makefile\n');
  t.equal(r.text, 'include ../linux-headers-6.1.0-56-common/Makefile\n');
  t.equal(r.changed, 1);
  const x = relativiseHeadersMakefile('KBUILD_OUTPUT=/usr/src/linux-headers-7.3-amd64\ninclude /usr/src/linux-headers-7.3-common/Makefile');
  t.equal(x.text, 'KBUILD_OUTPUT=$(CURDIR)\ninclude ../linux-headers-7.3-common/Makefile');
  t.equal(relativiseHeadersMakefile('obj-m := x.o\n').changed, 0);
});

t.test('mirror from apt sources, one-line and deb822', async (t) => {
  t.same(parseSourceUris('deb [signed-by=/k.gpg] http://m.example/debian bookworm main\n# deb http://old/debian x y'), [
    'http://m.example/debian',
  ]);
  t.same(parseSourceUris('Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n'), ['http://deb.debian.org/debian']);
});

t.test('compiler major from CONFIG_CC_VERSION_TEXT', async (t) => {
  t.equal(ccMajor('gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0'), 12);
  t.equal(ccMajor('x86_64-linux-gnu-gcc-16 (Debian 16.2.0-4) 16.2.0'), 16);
  t.equal(ccMajor('gcc-10 (Debian 10.2.1-6) 10.2.1 20210110'), 10);
  t.equal(ccMajor('clang version 18'), undefined);
});

t.test('cache location respects HONE_CACHE and XDG_CACHE_HOME', async (t) => {
  t.equal(cacheRoot({ XDG_CACHE_HOME: '/x/cache' }), '/x/cache/hone');
  t.equal(cacheRoot({ HONE_CACHE: '/y' }), '/y');
  t.match(cacheRoot({}), /\.cache\/hone$/);
});
