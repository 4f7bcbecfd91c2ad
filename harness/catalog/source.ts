// Where a kernel comes from, the first stage of the pipeline (see
// harness/README.md): an entry of the catalog, or a user's own build in a
// folder (--kernel-dir). It names what the later stages need and nothing
// more: the id (paths, results, messages), the Debian suite whose build
// root compiles modules when the host's gcc is too old, the guest's default
// vCPUs and extra kernel parameters, and its architecture (arch.ts:
// archOf(source)).
import { basename, resolve } from 'node:path';
import type { CatalogKernel } from './catalog.ts';
import type { ArchName } from './arch.ts';

interface SourceCommon {
  kernelId: string;
  /** Debian's name of the kernel's architecture (the catalog's "arch"; amd64 when unset). */
  arch: ArchName;
  buildSuite: string;
  /** The guest's vCPUs unless a boot asks otherwise (the catalog's "smp"; 2 when unset). */
  smp: number;
  /** Appended to the guest's kernel command line (the catalog's "cmdline"). */
  cmdline?: string;
}

export interface CatalogSource extends SourceCommon {
  kind: 'catalog';
  entry: CatalogKernel;
}

export interface DirSource extends SourceCommon {
  kind: 'dir';
  /** The folder, absolute. */
  dir: string;
}

export type KernelSource = CatalogSource | DirSource;

export function catalogSource(entry: CatalogKernel): CatalogSource {
  return {
    kind: 'catalog',
    kernelId: entry.id,
    arch: entry.arch ?? 'amd64',
    buildSuite: entry.buildSuite,
    smp: entry.smp ?? 2,
    ...(entry.cmdline ? { cmdline: entry.cmdline } : {}),
    entry,
  };
}

/** A user's folder: id local-<folder name>, amd64; modules built with the newest compilers (sid) when the host's are too old. */
export function dirSource(dir: string): DirSource {
  const abs = resolve(dir);
  const name = basename(abs)
    .replace(/[^a-z0-9.+-]/gi, '-')
    .toLowerCase();
  return { kind: 'dir', kernelId: `local-${name}`, arch: 'amd64', buildSuite: 'sid', smp: 2, dir: abs };
}
