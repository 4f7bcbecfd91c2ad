// Hone's own guest programs (the scenario runner, hone-bench, hone-stress):
// static C programs made by their folder's Makefile, natively as <name>, for
// another architecture with its cross compiler as <name>-<arch> beside it.
import { join } from 'node:path';
import { HoneError } from '../util/errors.ts';
import { run } from '../util/run.ts';
import { crossPrefix, elfMachineName, elfMachineOfFile, type Arch } from '../catalog/arch.ts';

/** Builds `name` in `dir` for `target` (make rebuilds it when a source is newer); returns its path. */
export async function buildGuestProgram(dir: string, name: string, target: Arch): Promise<string> {
  const cross = crossPrefix(target);
  const out = cross ? `${name}-${target.debian}` : name;
  const vars = cross ? [`CC=${cross}gcc`, `OUT=${out}`] : [];
  await run('make', ['-s', '-C', dir, ...vars], {
    code: 'E_IMAGE',
    hint: cross
      ? `${dir} does not compile for ${target.debian}; it needs gcc-${target.gnu} and libc6-dev-${target.debian}-cross (\`npx hone doctor --fix\`)`
      : `${dir} does not compile; see the compiler output above`,
  });
  const file = join(dir, out);
  await requireElfMachine(file, target);
  return file;
}

/** The file is an ELF program for the target's machine. */
export async function requireElfMachine(file: string, target: Arch): Promise<void> {
  const got = await elfMachineOfFile(file);
  if (got !== target.elfMachine) {
    throw new HoneError('E_IMAGE', `${file} is built for ${elfMachineName(got)}, the guest is ${target.elfName}`, {
      hint: `remove it and build again (make -C ${file.replace(/\/[^/]*$/, '')} clean)`,
    });
  }
}
