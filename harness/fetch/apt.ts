// An isolated apt: its own sources, lists and cache under the Hone cache, so
// the host's apt state is never read for packages nor written. Release files
// are verified against Debian's archive keyring, packages against the
// checksums in the signed indexes (apt does both).
import { mkdir, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { run, type RunResult } from '../util/run.ts';
import { HoneError } from '../util/errors.ts';
import type { Mirror } from './mirror.ts';

export const archiveSuites = ['bullseye', 'bookworm', 'bookworm-updates', 'bookworm-backports', 'trixie', 'sid', 'experimental'];
export const securitySuites = ['bullseye-security', 'bookworm-security'];
const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';

export class IsolatedApt {
  constructor(
    readonly dir: string,
    readonly mirror: Mirror,
    /** Debian architecture of the indexes (the mirror serves each). */
    readonly arch = 'amd64',
  ) {}

  async prepare(): Promise<void> {
    for (const d of ['lists/partial', 'cache/archives/partial', 'empty']) await mkdir(join(this.dir, d), { recursive: true });
    try {
      await stat(keyring);
    } catch {
      throw new HoneError('E_MISSING_TOOL', `Debian's archive keyring ${keyring} is missing`, {
        hint: 'apt-get install debian-archive-keyring (needed to verify the mirror)',
      });
    }
    const line = (base: string, suite: string) => `deb [signed-by=${keyring}] ${base} ${suite} main`;
    const sources = [...archiveSuites.map((s) => line(this.mirror.debian, s)), ...securitySuites.map((s) => line(this.mirror.security, s))];
    await writeFile(join(this.dir, 'sources.list'), `${sources.join('\n')}\n`);
  }

  /** True once the package lists have been downloaded. */
  async hasLists(): Promise<boolean> {
    try {
      return (await stat(join(this.dir, 'lists', 'lock'))).isFile();
    } catch {
      return false;
    }
  }

  async update(): Promise<void> {
    const r = await this.aptGet(['update'], { allowFail: true });
    const bad = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /^(E:|W: GPG|Err:)/.test(l));
    if (r.exitCode !== 0 || bad.length) {
      throw new HoneError('E_KERNEL_FETCH', `apt-get update against ${this.mirror.debian} failed`, {
        details: bad.length ? bad : r.stderr.split('\n').slice(-10),
        hint: 'check the mirror is reachable (or set HONE_MIRROR=http://host/debian) and retry',
      });
    }
  }

  aptGet(args: string[], opts: { cwd?: string; allowFail?: boolean } = {}): Promise<RunResult> {
    return run('apt-get', [...this.options(), ...args], { ...opts, code: 'E_KERNEL_FETCH', env: { LC_ALL: 'C' } });
  }

  aptCache(args: string[], opts: { allowFail?: boolean } = {}): Promise<RunResult> {
    return run('apt-cache', [...this.options(), ...args], { ...opts, code: 'E_KERNEL_RESOLVE', env: { LC_ALL: 'C' } });
  }

  // --- internal ---

  private options(): string[] {
    const d = this.dir;
    const o = (k: string, v: string) => ['-o', `${k}=${v}`];
    return [
      ...o('Dir::Etc::SourceList', join(d, 'sources.list')),
      ...o('Dir::Etc::SourceParts', join(d, 'empty')),
      ...o('Dir::Etc::Preferences', '/dev/null'),
      ...o('Dir::Etc::PreferencesParts', join(d, 'empty')),
      ...o('Dir::State::Lists', join(d, 'lists')),
      ...o('Dir::State::status', '/dev/null'),
      ...o('Dir::Cache', join(d, 'cache')),
      ...o('APT::Architecture', this.arch),
      ...o('APT::Architectures', this.arch),
      ...o('APT::Sandbox::User', 'root'),
      ...o('Acquire::Languages', 'none'),
      '-q',
    ];
  }
}
