// Choosing where a kernel's modules are compiled: on the host when its gcc is
// at least as new as the one that built the kernel (CONFIG_CC_VERSION_TEXT),
// otherwise in a build root of the kernel's Debian suite.
import { run } from '../util/run.ts';
import { ccMajor } from '../fetch/bundle.ts';

// For a kernel of another architecture, the same choice between the host's
// cross compiler (gcc-aarch64-linux-gnu) and a build root's
// (gcc-14-aarch64-linux-gnu); `cross` is then the CROSS_COMPILE prefix.
export type Toolchain = (
  { kind: 'host'; gcc: string; major: number; reason: string } | { kind: 'buildroot'; suite: string; major: number; reason: string }
) & {
  /** CROSS_COMPILE: '' for the host's own architecture, e.g. 'aarch64-linux-gnu-' across. */
  cross?: string;
};

/** The major version of the host's gcc (`prefix`: a cross compiler's, e.g. aarch64-linux-gnu-). */
export async function hostGccMajor(prefix = ''): Promise<number | undefined> {
  const r = await run(`${prefix}gcc`, ['-dumpversion'], { allowFail: true });
  const n = Number.parseInt(r.stdout.trim(), 10);
  return r.exitCode === 0 && Number.isFinite(n) ? n : undefined;
}

export function chooseToolchain(ccVersionText: string, buildSuite: string, hostMajor: number | undefined, cross = ''): Toolchain {
  const gcc = `${cross}gcc`;
  const across = cross ? { cross } : {};
  const want = ccMajor(ccVersionText);
  if (want === undefined) {
    return hostMajor === undefined
      ? {
          kind: 'buildroot',
          suite: buildSuite,
          major: 0,
          reason: `kernel compiler unknown ("${ccVersionText}") and no host ${gcc}`,
          ...across,
        }
      : {
          kind: 'host',
          gcc,
          major: hostMajor,
          reason: `kernel compiler unknown ("${ccVersionText}"): trying the host's ${gcc}-${hostMajor}`,
          ...across,
        };
  }
  if (hostMajor !== undefined && want <= hostMajor) {
    return {
      kind: 'host',
      gcc,
      major: hostMajor,
      reason: `kernel built with gcc-${want}; host ${gcc}-${hostMajor} is new enough`,
      ...across,
    };
  }
  return {
    kind: 'buildroot',
    suite: buildSuite,
    major: want,
    reason: `kernel built with gcc-${want}; host has ${hostMajor === undefined ? `no ${gcc}` : `${gcc}-${hostMajor}`}: using a ${buildSuite} build root${cross ? ` with ${gcc}-${want}` : ''}`,
    ...across,
  };
}
