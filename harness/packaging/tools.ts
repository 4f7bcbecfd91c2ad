// Static builds of the recorder and its traffic generator for guests
// (the busybox initramfs has no libc to link against).
import { join } from 'node:path';
import { repoRoot } from '../util/paths.ts';
import { run } from '../util/run.ts';

/** tools/honeread/honeread-static, built if needed. */
export async function buildHonereadStatic(): Promise<string> {
  const dir = join(repoRoot, 'tools', 'honeread');
  await run('make', ['-s', '-C', dir, 'static'], { code: 'E_IMAGE', hint: 'honeread does not compile; see the compiler output above' });
  return join(dir, 'honeread-static');
}

/** harness/packaging/hone-traffic.c as a static binary in dir. */
export async function buildTrafficStatic(dir: string): Promise<string> {
  const out = join(dir, 'hone-traffic');
  await run('gcc', ['-static', '-O2', '-Wall', '-Wextra', '-o', out, join(repoRoot, 'harness', 'packaging', 'hone-traffic.c')], {
    code: 'E_IMAGE',
    hint: 'a host gcc that links statically (libc6-dev)',
  });
  return out;
}
