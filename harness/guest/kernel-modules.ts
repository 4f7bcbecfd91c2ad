// Kernel module closures for the guest: which of the kernel's own modules
// (and of Hone's) must be loaded, in what order, read from modules.dep, and
// their contents decompressed (busybox insmod takes plain .ko files).
import { readFile } from 'node:fs/promises';
import { join, basename } from 'node:path';
import { execa } from '../vendor.ts';
import { HoneError } from '../util/errors.ts';
import { run } from '../util/run.ts';

export interface ModuleIndex {
  /** module name (underscores) -> path relative to the modules dir */
  paths: Map<string, string>;
  /** module name -> direct and indirect dependencies' names */
  deps: Map<string, string[]>;
  builtin: Set<string>;
}

export const moduleName = (file: string) =>
  basename(file)
    .replace(/\.ko(\.xz|\.zst|\.gz)?$/, '')
    .replaceAll('-', '_');

export function parseModulesDep(dep: string, builtin = ''): ModuleIndex {
  const paths = new Map<string, string>();
  const deps = new Map<string, string[]>();
  for (const line of dep.split('\n')) {
    const [file, rest] = line.split(':');
    if (!file || rest === undefined) continue;
    const name = moduleName(file);
    paths.set(name, file);
    deps.set(name, rest.trim().split(/\s+/).filter(Boolean).map(moduleName));
  }
  return { paths, deps, builtin: new Set(builtin.split('\n').filter(Boolean).map(moduleName)) };
}

export async function loadModuleIndex(modulesDir: string): Promise<ModuleIndex> {
  const dep = await readFile(join(modulesDir, 'modules.dep'), 'utf8');
  const builtin = await readFile(join(modulesDir, 'modules.builtin'), 'utf8').catch(() => '');
  return parseModulesDep(dep, builtin);
}

/** Load order (dependencies first) of the named modules; built-in ones are left out. */
export function loadOrder(index: ModuleIndex, names: string[], kernel: string): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (raw: string, from: string) => {
    const name = raw.replaceAll('-', '_');
    if (seen.has(name) || index.builtin.has(name)) return;
    seen.add(name);
    const deps = index.deps.get(name);
    if (!deps) {
      throw new HoneError('E_IMAGE', `module ${name} (needed by ${from}) is neither built in nor in modules.dep`, { kernel });
    }
    for (const d of deps) visit(d, name);
    order.push(name);
  };
  for (const n of names) visit(n, 'the guest');
  return order;
}

/** A module file's contents, decompressed. */
export async function readModule(path: string): Promise<Buffer> {
  const tool = path.endsWith('.xz') ? 'xz' : path.endsWith('.zst') ? 'zstd' : path.endsWith('.gz') ? 'gzip' : undefined;
  if (!tool) return readFile(path);
  const r = await execa(tool, ['-dc', path], { encoding: 'buffer', reject: false });
  if (r.exitCode !== 0)
    throw new HoneError('E_IMAGE', `could not decompress ${path} with ${tool}`, {
      hint: `apt-get install ${tool === 'xz' ? 'xz-utils' : tool}`,
    });
  return Buffer.from(r.stdout);
}

/** The kernel modules a built module needs (modinfo's depends field). */
export async function moduleDepends(ko: string): Promise<string[]> {
  const r = await run('modinfo', ['-F', 'depends', ko], { code: 'E_IMAGE' });
  return r.stdout.trim().split(',').filter(Boolean);
}
