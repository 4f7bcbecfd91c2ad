// The kernel catalog: which kernels the matrix covers. Data lives in
// kernels.json (a user adds a kernel by adding an entry); this file parses
// and validates it so a broken entry is named before anything is fetched.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HoneError } from '../util/errors.ts';
import { repoRoot } from '../util/paths.ts';

export interface CatalogKernel {
  /** Stable id used on the command line and in results, e.g. debian-6.1. */
  id: string;
  /** The Debian suite the kernel comes from (for people). */
  suite: string;
  /** Archive suites searched for the newest version, e.g. bookworm + bookworm-security. */
  suites: string[];
  /** Debian kernel flavour: amd64, rt-amd64, cloud-amd64. */
  flavour: string;
  /** Suite of the build root used when the host compiler cannot build for it. */
  buildSuite: string;
  /** vCPUs for the guest (default 2); 1 for kernels that oops under multi-threaded TCG. */
  smp?: number;
  /** A user's own kernel folder (--kernel-dir), used instead of the cache. */
  kernelDir?: string;
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
    const k = parseEntry(entry, `${file}: kernels[${i}]`);
    if (seen.has(k.id)) throw new HoneError('E_CATALOG', `${file}: kernel id "${k.id}" appears twice`);
    seen.add(k.id);
    return k;
  });
}

export async function loadCatalog(file = defaultCatalogFile): Promise<CatalogKernel[]> {
  return parseCatalog(await readFile(file, 'utf8'), file);
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

function parseEntry(entry: unknown, where: string): CatalogKernel {
  if (typeof entry !== 'object' || entry === null) throw new HoneError('E_CATALOG', `${where} is not an object`);
  const e = entry as Record<string, unknown>;
  const str = (key: string, pattern: RegExp): string => {
    const v = e[key];
    if (typeof v !== 'string' || !pattern.test(v)) {
      throw new HoneError('E_CATALOG', `${where}: "${key}" must be a string matching ${pattern}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const id = str('id', idPattern);
  const suite = str('suite', suitePattern);
  const flavour = str('flavour', /^[a-z0-9-]+$/);
  const buildSuite = e.buildSuite === undefined ? suite : str('buildSuite', suitePattern);
  const suites = e.suites === undefined ? [suite] : e.suites;
  if (!Array.isArray(suites) || suites.length === 0 || !suites.every((s) => typeof s === 'string' && suitePattern.test(s))) {
    throw new HoneError('E_CATALOG', `${where}: "suites" must be a non-empty list of suite names`);
  }
  const smp = e.smp;
  if (smp !== undefined && (typeof smp !== 'number' || !Number.isInteger(smp) || smp < 1 || smp > 64)) {
    throw new HoneError('E_CATALOG', `${where}: "smp" must be an integer from 1 to 64`);
  }
  const known = new Set(['id', 'suite', 'suites', 'flavour', 'buildSuite', 'smp']);
  const unknown = Object.keys(e).filter((key) => !known.has(key));
  if (unknown.length) throw new HoneError('E_CATALOG', `${where}: unknown field(s) ${unknown.join(', ')}`);
  return { id, suite, suites: suites as string[], flavour, buildSuite, ...(smp === undefined ? {} : { smp: smp as number }) };
}
