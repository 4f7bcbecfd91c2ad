// Choosing where a kernel's modules are compiled: on the host when its gcc is
// at least as new as the one that built the kernel (CONFIG_CC_VERSION_TEXT),
// otherwise in a build root of the kernel's Debian suite.
import { run } from '../util/run.ts';
import { ccMajor } from '../fetch/bundle.ts';

export type Toolchain =
  { kind: 'host'; gcc: string; major: number; reason: string } | { kind: 'buildroot'; suite: string; major: number; reason: string };

export async function hostGccMajor(): Promise<number | undefined> {
  const r = await run('gcc', ['-dumpversion'], { allowFail: true });
  const n = Number.parseInt(r.stdout.trim(), 10);
  return r.exitCode === 0 && Number.isFinite(n) ? n : undefined;
}

export function chooseToolchain(ccVersionText: string, buildSuite: string, hostMajor: number | undefined): Toolchain {
  const want = ccMajor(ccVersionText);
  if (want === undefined) {
    return hostMajor === undefined
      ? { kind: 'buildroot', suite: buildSuite, major: 0, reason: `kernel compiler unknown ("${ccVersionText}") and no host gcc` }
      : {
          kind: 'host',
          gcc: 'gcc',
          major: hostMajor,
          reason: `kernel compiler unknown ("${ccVersionText}"): trying the host's gcc-${hostMajor}`,
        };
  }
  if (hostMajor !== undefined && want <= hostMajor) {
    return { kind: 'host', gcc: 'gcc', major: hostMajor, reason: `kernel built with gcc-${want}; host gcc-${hostMajor} is new enough` };
  }
  return {
    kind: 'buildroot',
    suite: buildSuite,
    major: want,
    reason: `kernel built with gcc-${want}; host has ${hostMajor === undefined ? 'no gcc' : `gcc-${hostMajor}`}: using a ${buildSuite} build root`,
  };
}
