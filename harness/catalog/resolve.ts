// Resolving a catalog kernel to exact packages: the newest version of the
// flavour's meta package in the kernel's suites, the image it depends on, and
// everything needed to boot it and build modules for it (image or
// binary+modules+base on 7.x, headers arch + common, kbuild).
import { HoneError } from '../util/errors.ts';
import type { IsolatedApt } from '../fetch/apt.ts';
import type { CatalogKernel } from './catalog.ts';
import { compareDebVersions } from './debversion.ts';
import type { BuiltKernel } from '../kbuild/kernel-key.ts';

export interface ResolvedPackage {
  name: string;
  /** Debian architecture when it is not the kernel's: kbuild's tools, which run on the host, for a cross-built kernel. */
  arch?: string;
  version: string;
  filename: string;
  size: number;
  sha256: string;
}

export interface ResolvedKernel {
  id: string;
  /** Debian version of the kernel source package, e.g. 6.1.192-2. */
  version: string;
  /** uname -r of the kernel, e.g. 6.1.0-56-amd64. */
  release: string;
  packages: ResolvedPackage[];
  resolvedAt: string;
  /** A kernel built from source: what it was built from and how (its content key, compiler, time). */
  built?: BuiltKernel;
}

export type Stanza = Record<string, string>;

/** Splits apt-cache show output into stanzas (field names lower-cased). */
export function parseStanzas(text: string): Stanza[] {
  const out: Stanza[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const s: Stanza = {};
    let last = '';
    for (const line of block.split('\n')) {
      if (/^\s/.test(line) && last) s[last] += `\n${line.trim()}`;
      else {
        const m = /^([^:\s]+):\s*(.*)$/.exec(line);
        if (m?.[1]) {
          last = m[1].toLowerCase();
          s[last] = m[2] ?? '';
        }
      }
    }
    if (s.package) out.push(s);
  }
  return out;
}

export interface Dependency {
  name: string;
  op?: string;
  version?: string;
}

/** Parses a Depends field; alternatives (a | b) keep only the first. */
export function parseDepends(field: string | undefined): Dependency[] {
  if (!field) return [];
  return field.split(',').map((part) => {
    const first = part.split('|')[0]?.trim() ?? '';
    const m = /^([^\s(]+)\s*(?:\(\s*([<>=]+)\s*([^)\s]+)\s*\))?/.exec(first);
    return m?.[1] ? { name: m[1], ...(m[2] ? { op: m[2], version: m[3] } : {}) } : { name: first };
  });
}

/** Picks the newest version listed by `apt-cache madison` in the given suites. */
export function newestInSuites(madison: string, suites: string[]): string | undefined {
  const versions: string[] = [];
  for (const line of madison.split('\n')) {
    const cols = line.split('|').map((c) => c.trim());
    const version = cols[1];
    const suite = cols[2]?.split(/\s+/)[1]?.split('/')[0];
    if (version && suite && suites.includes(suite)) versions.push(version);
  }
  return versions.sort(compareDebVersions).at(-1);
}

/**
 * `toolsApt`: for a kernel of another architecture than the host's, the
 * host's apt. kbuild's programs (fixdep, modpost, ...) run where modules are
 * built, so linux-kbuild comes in the host's architecture, at the version the
 * kernel's headers name (Debian's way of cross-building modules).
 */
export async function resolveKernel(apt: IsolatedApt, k: CatalogKernel, toolsApt?: IsolatedApt): Promise<ResolvedKernel> {
  if (k.source) throw new HoneError('E_KERNEL_RESOLVE', 'a kernel built from source resolves with resolveSourceKernel', { kernel: k.id });
  const meta = `linux-image-${k.flavour}`;
  const madison = await apt.aptCache(['madison', meta]);
  const version = newestInSuites(madison.stdout, k.suites);
  if (!version) {
    throw new HoneError('E_KERNEL_RESOLVE', `no ${meta} found in suites ${k.suites.join(', ')}`, {
      kernel: k.id,
      hint: 'check the suites in harness/catalog/kernels.json against the mirror',
    });
  }
  const metaStanza = await show(apt, k, `${meta}=${version}`);
  const image = parseDepends(metaStanza.depends).find((d) => /^linux-image-\d/.test(d.name));
  if (!image) throw new HoneError('E_KERNEL_RESOLVE', `${meta} ${version} names no kernel image`, { kernel: k.id });
  const release = image.name.replace(/^linux-image-/, '');

  const wanted: string[] = [];
  const unsigned = await show(apt, k, `linux-image-${release}-unsigned=${version}`, true);
  if (unsigned) wanted.push(`linux-image-${release}-unsigned`);
  else {
    // 7.x split: the image package is a meta package over binary, modules, base
    const img = await show(apt, k, `${image.name}=${version}`);
    for (const d of parseDepends(img.depends)) if (/^linux-(binary|modules|base)-\d/.test(d.name)) wanted.push(d.name);
  }
  const headers = `linux-headers-${release}`;
  const headerStanza = await show(apt, k, `${headers}=${version}`);
  const pins: ResolvedPackage[] = [];
  for (const name of wanted) pins.push(toPackage(await show(apt, k, `${name}=${version}`)));
  pins.push(toPackage(headerStanza));
  for (const d of parseDepends(headerStanza.depends)) {
    if (!/^linux-(headers-.*-common|kbuild-)/.test(d.name)) continue;
    const v = d.op === '=' && d.version ? d.version : await newestSatisfying(apt, k, d);
    if (toolsApt && d.name.startsWith('linux-kbuild-'))
      pins.push({ ...toPackage(await show(toolsApt, k, `${d.name}=${v}`)), arch: toolsApt.arch });
    else pins.push(toPackage(await show(apt, k, `${d.name}=${v}`)));
  }
  return { id: k.id, version, release, packages: pins, resolvedAt: new Date().toISOString() };
}

/**
 * A kernel built from source: the newest version of its linux-source
 * package in its suites. The release is the one the tree will have
 * (upstream version + the fragment's CONFIG_LOCALVERSION); the build
 * replaces it with the tree's own.
 */
export async function resolveSourceKernel(apt: IsolatedApt, k: CatalogKernel, localVersion: string): Promise<ResolvedKernel> {
  const name = k.source?.package;
  if (!name) throw new HoneError('E_KERNEL_RESOLVE', 'not a kernel built from source', { kernel: k.id });
  const madison = await apt.aptCache(['madison', name]);
  const version = newestInSuites(madison.stdout, k.suites);
  if (!version) {
    throw new HoneError('E_KERNEL_RESOLVE', `no ${name} found in suites ${k.suites.join(', ')}`, {
      kernel: k.id,
      hint: 'check "source" and "suites" in harness/catalog/kernels.json against the mirror',
    });
  }
  const pkg = toPackage(await show(apt, k, `${name}=${version}`));
  return {
    id: k.id,
    version,
    release: `${upstreamVersion(version)}${localVersion}`,
    packages: [pkg],
    resolvedAt: new Date().toISOString(),
  };
}

/** The upstream part of a Debian version: 6.12.117-1 -> 6.12.117 (epoch and revision dropped). */
export function upstreamVersion(debVersion: string): string {
  return debVersion.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
}

// --- internal ---

async function show(apt: IsolatedApt, k: CatalogKernel, spec: string): Promise<Stanza>;
async function show(apt: IsolatedApt, k: CatalogKernel, spec: string, optional: true): Promise<Stanza | undefined>;
async function show(apt: IsolatedApt, k: CatalogKernel, spec: string, optional = false): Promise<Stanza | undefined> {
  const r = await apt.aptCache(['show', spec], { allowFail: true });
  const stanza = parseStanzas(r.stdout)[0];
  if (!stanza && !optional) {
    throw new HoneError('E_KERNEL_RESOLVE', `package ${spec} is not on the mirror`, {
      kernel: k.id,
      hint: 'run `hone fetch --refresh` to resolve against the current package lists',
    });
  }
  return stanza;
}

async function newestSatisfying(apt: IsolatedApt, k: CatalogKernel, d: Dependency): Promise<string> {
  const madison = await apt.aptCache(['madison', d.name]);
  const inSuite = newestInSuites(madison.stdout, k.suites);
  const all = madison.stdout
    .split('\n')
    .map((l) => l.split('|')[1]?.trim())
    .filter((v): v is string => !!v);
  const ok = (v: string) => !d.version || d.op !== '>=' || compareDebVersions(v, d.version) >= 0;
  const pick = inSuite && ok(inSuite) ? inSuite : all.filter(ok).sort(compareDebVersions).at(-1);
  if (!pick) throw new HoneError('E_KERNEL_RESOLVE', `no version of ${d.name} satisfies ${d.op} ${d.version}`, { kernel: k.id });
  return pick;
}

function toPackage(s: Stanza): ResolvedPackage {
  return {
    name: s.package ?? '',
    version: s.version ?? '',
    filename: s.filename ?? '',
    size: Number(s.size ?? 0),
    sha256: s.sha256 ?? '',
  };
}
