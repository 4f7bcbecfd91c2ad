// Recipe for a build root: a minimal Debian of a kernel's suite with the
// compiler that built the kernel, for kernels the host's gcc cannot build
// modules for (newer gcc flags, kbuild tools linked against a newer glibc).
// Made once per suite with debootstrap from the same mirror, cached.

/**
 * Packages a build root of `suite` needs to build modules with gcc-<gccMajor>;
 * `crossGnu` (e.g. aarch64-linux-gnu) adds Debian's cross compiler of that
 * version for modules of another architecture (gcc-14-aarch64-linux-gnu).
 */
export function buildRootPackages(suite: string, gccMajor: number, crossGnu?: string): string[] {
  const t64 = suite !== 'bullseye' && suite !== 'bookworm';
  return [
    ...(crossGnu ? [`gcc-${gccMajor}-${crossGnu}`] : []),
    'make',
    // W=1 runs scripts/kernel-doc, which needs perl's Pod::Usage
    'perl',
    `gcc-${gccMajor}`,
    'libc6-dev',
    t64 ? 'libelf1t64' : 'libelf1',
    t64 ? 'libssl3t64' : suite === 'bullseye' ? 'libssl1.1' : 'libssl3',
    'zlib1g',
    'kmod',
    'xz-utils',
    'pahole',
  ];
}

/** The debootstrap command line that makes a root of `suite` with `packages`. */
export function debootstrapArgs(suite: string, packages: string[], target: string, mirror: string): string[] {
  return ['--variant=minbase', `--include=${packages.join(',')}`, suite, target, mirror];
}

/**
 * Packages of a build root that compiles a whole kernel (a catalog kernel
 * built from linux-source): the module build root's, plus kconfig's parser
 * generators (flex, bison), bc for the timeconst header, libelf and libssl
 * headers for objtool and the signing tools, cpio and rsync for the
 * headers archive.
 */
export function kernelBuildRootPackages(suite: string, gccMajor: number): string[] {
  return [...buildRootPackages(suite, gccMajor), 'flex', 'bison', 'bc', 'libelf-dev', 'libssl-dev', 'cpio', 'rsync'];
}
