// Recipe for the Debian root of the package test: a minimal system of the
// kernel's suite with DKMS and the kernel's compiler, systemd and logrotate,
// in which the hone-dkms and hone-tools debs are installed as an operator
// would.

export function debianRootPackages(suite: string): string[] {
  const compiler = suite === 'bookworm' ? ['linux-compiler-gcc-12-x86'] : [];
  return ['dkms', 'kmod', 'gcc', 'make', 'libc6-dev', 'iproute2', 'procps', 'coreutils', 'systemd', 'logrotate', ...compiler];
}
