// The kernel catalog: which kernels the matrix covers. Data lives in
// kernels.json (a user adds a kernel by adding an entry); this file parses
// and validates it so a broken entry is named before anything is fetched.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { HoneError } from '../util/errors.ts';
import { archNames, isArchName, type ArchName } from './arch.ts';
import { repoRoot } from '../util/paths.ts';

/**
 * A catalog kernel is one of two kinds:
 * - a Debian kernel image: `flavour` names the meta package linux-image-<flavour>;
 * - a kernel built here from Debian's linux-source package with a config
 *   fragment (`source`): for kernels Debian does not ship, such as a debug
 *   kernel with KASAN, lockdep and kmemleak.
 */
export interface CatalogKernel {
  /** Stable id used on the command line and in results, e.g. debian-6.1. */
  id: string;
  /** The Debian suite the kernel comes from (for people). */
  suite: string;
  /** Archive suites searched for the newest version, e.g. bookworm + bookworm-security. */
  suites: string[];
  /** Debian kernel flavour: amd64, rt-amd64, arm64 (image kernels; "source" for built ones). */
  flavour: string;
  /** Debian architecture of the kernel (absent: amd64); see arch.ts. */
  arch?: ArchName;
  /** Suite of the build root used when the host compiler cannot build for it (and that builds a source kernel). */
  buildSuite: string;
  /** vCPUs for the guest (default 2); 1 for kernels that oops under multi-threaded TCG. */
  smp?: number;
  /** Built from a linux-source package with a config fragment, instead of a Debian image. */
  source?: SourceKernel;
  /** Not in the default set (`--all`, `hone matrix` without --kernel, CI's matrix): named explicitly only. */
  optIn?: boolean;
  /** Appended to the guest's kernel command line, e.g. "panic_on_warn=1 kmemleak=on". */
  cmdline?: string;
}

export interface SourceKernel {
  /** Debian's source package, e.g. linux-source-6.12 (resolved to its newest version in the suites). */
  package: string;
  /** The config fragment's file name, as written in the catalog (next to kernels.json). */
  fragment: string;
  /** Its absolute path. */
  fragmentFile: string;
  /** Major version of the gcc that builds it (in a build root of buildSuite). */
  gcc: number;
}

export const defaultCatalogFile = join(repoRoot, 'harness', 'catalog', 'kernels.json');

const idPattern = /^[a-z0-9][a-z0-9.+-]*$/;
const suitePattern = /^[a-z]+(-[a-z]+)?$/;

export function parseCatalog(text: string, file = 'kernels.json'): CatalogKernel[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new HoneError('E_CATALOG', `${file} is not valid JSON: ${(err as Error).message}`, {
      hint: 'fix the syntax error in the catalog file',
    });
  }
  const list = (data as { kernels?: unknown }).kernels;
  if (!Array.isArray(list)) {
    throw new HoneError('E_CATALOG', `${file} has no "kernels" array`, { hint: 'see harness/catalog/kernels.json for the shape' });
  }
  const seen = new Set<string>();
  return list.map((entry, i) => {
    const k = parseEntry(entry, `${file}: kernels[${i}]`, dirname(resolve(file)));
    if (seen.has(k.id)) throw new HoneError('E_CATALOG', `${file}: kernel id "${k.id}" appears twice`);
    seen.add(k.id);
    return k;
  });
}

export async function loadCatalog(file = defaultCatalogFile): Promise<CatalogKernel[]> {
  return parseCatalog(await readFile(file, 'utf8'), file);
}

/** The kernels commands take by default (--all, a matrix without --kernel): all but the opt-in ones. */
export function defaultKernels(catalog: CatalogKernel[]): CatalogKernel[] {
  return catalog.filter((k) => !k.optIn);
}

/** Finds kernels by id; an unknown id is an error that lists the known ones. */
export function pickKernels(catalog: CatalogKernel[], ids: string[]): CatalogKernel[] {
  return ids.map((id) => {
    const k = catalog.find((c) => c.id === id);
    if (!k) {
      throw new HoneError('E_UNKNOWN_KERNEL', `unknown kernel "${id}"`, {
        hint: `known kernels: ${catalog.map((c) => c.id).join(', ')} (see \`hone kernels\`), or use --kernel-dir DIR for your own build`,
      });
    }
    return k;
  });
}

// --- internal ---

function parseEntry(entry: unknown, where: string, catalogDir: string): CatalogKernel {
  if (typeof entry !== 'object' || entry === null) throw new HoneError('E_CATALOG', `${where} is not an object`);
  const e = entry as Record<string, unknown>;
  const str = (key: string, pattern: RegExp): string => {
    const v = e[key];
    if (typeof v !== 'string' || !pattern.test(v)) {
      throw new HoneError('E_CATALOG', `${where}: "${key}" must be a string matching ${pattern}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const int = (key: string, min: number, max: number): number | undefined => {
    const v = e[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)) {
      throw new HoneError('E_CATALOG', `${where}: "${key}" must be an integer from ${min} to ${max}`);
    }
    return v as number | undefined;
  };
  const id = str('id', idPattern);
  const suite = str('suite', suitePattern);
  const buildSuite = e.buildSuite === undefined ? suite : str('buildSuite', suitePattern);
  const suites = e.suites === undefined ? [suite] : e.suites;
  if (!Array.isArray(suites) || suites.length === 0 || !suites.every((s) => typeof s === 'string' && suitePattern.test(s))) {
    throw new HoneError('E_CATALOG', `${where}: "suites" must be a non-empty list of suite names`);
  }
  const smp = int('smp', 1, 64);
  const optIn = e.optIn;
  if (optIn !== undefined && typeof optIn !== 'boolean') throw new HoneError('E_CATALOG', `${where}: "optIn" must be true or false`);
  // kernel parameters only: no quotes or shell characters reach QEMU's -append
  const cmdline = e.cmdline === undefined ? undefined : str('cmdline', /^[A-Za-z0-9_.,:=/+-]+( [A-Za-z0-9_.,:=/+-]+)*$/);

  const arch = e.arch === undefined ? undefined : e.arch;
  if (arch !== undefined && (typeof arch !== 'string' || !isArchName(arch))) {
    throw new HoneError(
      'E_CATALOG',
      `${where}: "arch" must be one of ${archNames.join(', ')} (Debian's names), got ${JSON.stringify(arch)}`,
    );
  }
  const isSource = e.source !== undefined;
  if (isSource && arch !== undefined && arch !== 'amd64') {
    throw new HoneError('E_CATALOG', `${where}: a kernel built from "source" is built for amd64 only (its "arch" is ${arch})`);
  }
  const kindFields = isSource ? ['source', 'fragment', 'gcc'] : ['flavour'];
  const known = new Set(['id', 'suite', 'suites', 'buildSuite', 'arch', 'smp', 'optIn', 'cmdline', ...kindFields]);
  const unknown = Object.keys(e).filter((key) => !known.has(key));
  if (unknown.length) {
    const other =
      isSource && unknown.includes('flavour')
        ? ' (a kernel built from "source" has no "flavour": that names a Debian image)'
        : !isSource && unknown.some((u) => u === 'fragment' || u === 'gcc')
          ? ' ("fragment" and "gcc" belong to a kernel built from "source")'
          : '';
    throw new HoneError('E_CATALOG', `${where}: unknown field(s) ${unknown.join(', ')}${other}`);
  }
  let flavour: string;
  let source: SourceKernel | undefined;
  if (isSource) {
    const pkg = str('source', /^linux-source-[0-9][0-9.]*$/);
    const fragment = str('fragment', /^[A-Za-z0-9][A-Za-z0-9._-]*\.config$/);
    const gcc = int('gcc', 4, 99);
    if (gcc === undefined)
      throw new HoneError('E_CATALOG', `${where}: a kernel built from "source" needs "gcc" (the compiler's major version, e.g. 14)`);
    flavour = 'source';
    source = { package: pkg, fragment, fragmentFile: join(catalogDir, fragment), gcc };
  } else {
    flavour = str('flavour', /^[a-z0-9-]+$/);
  }
  return {
    id,
    suite,
    suites: suites as string[],
    flavour,
    buildSuite,
    ...(arch && arch !== 'amd64' ? { arch } : {}),
    ...(smp === undefined ? {} : { smp }),
    ...(source ? { source } : {}),
    ...(optIn ? { optIn } : {}),
    ...(cmdline ? { cmdline } : {}),
  };
}
