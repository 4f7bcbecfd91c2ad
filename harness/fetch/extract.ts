// Turning a kernel's packages into a relocatable bundle: every deb extracted
// into one root, the headers' Makefile made relative (Debian's names an
// absolute /usr/src path, and 7.x sets KBUILD_OUTPUT absolutely), a lib ->
// usr/lib link for usr-merged packages, and modules.dep made with depmod
// (normally the postinst's job).
import { readFile, writeFile, readdir, symlink, lstat, rm, mkdir, stat } from 'node:fs/promises';
import { join, basename } from 'node:path';
import { run } from '../util/run.ts';
import { HoneError } from '../util/errors.ts';

export async function extractDebs(debs: string[], root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  for (const deb of debs) {
    await run('dpkg-deb', ['-x', deb, root], {
      code: 'E_KERNEL_FETCH',
      hint: `the package ${basename(deb)} may be damaged; delete it from the cache and fetch again`,
    });
  }
  try {
    await lstat(join(root, 'lib'));
  } catch {
    await symlink('usr/lib', join(root, 'lib'));
  }
}

/** Rewrites the absolute paths in the arch headers' Makefile; returns the lines changed. */
export function relativiseHeadersMakefile(text: string): { text: string; changed: number } {
  let changed = 0;
  const out = text
    .split('\n')
    .map((line) => {
      const inc = /^include \/usr\/src\/(linux-headers-[^/\s]+)\/Makefile\s*$/.exec(line);
      if (inc) {
        changed++;
        return `include ../${inc[1]}/Makefile`;
      }
      if (/^\s*KBUILD_OUTPUT\s*[:?]?=\s*\/usr\/src\//.test(line)) {
        changed++;
        return line.replace(/\/usr\/src\/\S+/, '$$(CURDIR)');
      }
      return line;
    })
    .join('\n');
  return { text: out, changed };
}

export async function fixHeaders(ksrc: string): Promise<void> {
  const file = join(ksrc, 'Makefile');
  const { text, changed } = relativiseHeadersMakefile(await readFile(file, 'utf8'));
  if (changed === 0 && /\/usr\/src\//.test(text)) {
    throw new HoneError('E_KERNEL_FETCH', `the headers Makefile ${file} has an absolute path Hone does not know how to rewrite`, {
      hint: 'report this with the Makefile attached; the catalog entry cannot be built until then',
    });
  }
  await writeFile(file, text);
}

export async function runDepmod(root: string, release: string): Promise<void> {
  await run('depmod', ['-b', root, release], {
    code: 'E_KERNEL_FETCH',
    hint: 'install kmod on the host (apt-get install kmod)',
  });
}

/** Finds a file among candidate paths relative to root. */
export async function findFirst(root: string, candidates: string[]): Promise<string | undefined> {
  for (const c of candidates) {
    try {
      if ((await stat(join(root, c))).isFile()) return join(root, c);
    } catch {
      // not this one
    }
  }
  return undefined;
}

export async function findHeadersDir(root: string, release: string): Promise<string> {
  const dir = join(root, 'usr', 'src', `linux-headers-${release}`);
  try {
    await stat(join(dir, 'Makefile'));
    return dir;
  } catch {
    const have = await readdir(join(root, 'usr', 'src')).catch(() => []);
    throw new HoneError('E_KERNEL_FETCH', `no headers for ${release} in the extracted packages (found: ${have.join(', ') || 'none'})`);
  }
}
