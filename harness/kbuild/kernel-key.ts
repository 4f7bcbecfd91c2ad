// The content key of a kernel built from source: it changes exactly when
// the built kernel could: another source package (its sha256 covers the
// tree, kernel/configs/kvm_guest.config included), another config
// fragment, another compiler, another build recipe (the steps Hone runs,
// versioned below) or another build root. Equal keys mean the cached tree
// is the one these inputs make, so it is used as it is.
import { createHash } from 'node:crypto';

/** Bump when the build steps change in a way that changes the result. */
export const kernelRecipeVersion = 1;

export interface KernelBuildInputs {
  /** The source package: name, Debian version, sha256 of the .deb. */
  source: { name: string; version: string; sha256: string };
  /** The fragment's file name and the sha256 of its bytes. */
  fragment: { name: string; sha256: string };
  /** The compiler package in the build root with its Debian version, e.g. "gcc-14 14.2.0-19". */
  compiler: string;
  recipe: number;
  /** The build root's package list (its recipe). */
  buildRoot: string[];
}

/** 16 hex digits of the sha256 of the inputs in a fixed order (the fragment's name is left out: only its bytes matter). */
export function kernelBuildKey(i: KernelBuildInputs): string {
  const canonical = JSON.stringify([
    ['source', i.source.name, i.source.version, i.source.sha256],
    ['fragment', i.fragment.sha256],
    ['compiler', i.compiler],
    ['recipe', i.recipe],
    ['root', ...i.buildRoot],
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Which inputs differ, for the message that says why a kernel is built again. */
export function changedInputs(old: KernelBuildInputs | undefined, now: KernelBuildInputs): string[] {
  if (!old) return ['no finished build in the cache'];
  const out: string[] = [];
  if (old.source.sha256 !== now.source.sha256)
    out.push(`source ${old.source.name} ${old.source.version} -> ${now.source.name} ${now.source.version}`);
  if (old.fragment.sha256 !== now.fragment.sha256) out.push(`config fragment ${now.fragment.name} changed`);
  if (old.compiler !== now.compiler) out.push(`compiler ${old.compiler} -> ${now.compiler}`);
  if (old.recipe !== now.recipe) out.push(`build recipe ${old.recipe} -> ${now.recipe}`);
  if (old.buildRoot.join(',') !== now.buildRoot.join(',')) out.push('build root packages changed');
  return out.length ? out : ['inputs differ'];
}

/** What a finished build of a source kernel was made from, kept in resolved.json and in every run's manifest. */
export interface BuiltKernel {
  key: string;
  inputs: KernelBuildInputs;
  /** uname -r of the built kernel. */
  release: string;
  /** CONFIG_CC_VERSION_TEXT of the built tree. */
  ccVersionText: string;
  /** sha256 of the tree's kernel/configs/kvm_guest.config (part of the source; recorded to be seen). */
  kvmGuestConfigSha256: string;
  /** Wall time of this build (extraction, configuration, compilation, module install). */
  buildSeconds: number;
  /** Whether this build started from a fresh extraction (cold) or reused a tree of the same source (incremental). */
  cold: boolean;
  /** kbuild steps (CC, LD, ...) the compilation printed: the next build's progress is shown against it. */
  steps: number;
  imageBytes: number;
  builtAt: string;
  /** Set when a tree built before this code existed was checked against these inputs and taken over: how. */
  adopted?: string;
}
