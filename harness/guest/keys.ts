// SSH keys for talking to guests: one client key pair and one guest host key,
// generated once per cache (never committed), reused by every guest.
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { sshUtils as utils } from '../vendor.ts';
import { cachePaths } from '../util/paths.ts';
import { run } from '../util/run.ts';

export interface GuestKeys {
  clientPrivate: string;
  clientPublic: string;
  hostKeyFile: string;
}

export async function ensureKeys(): Promise<GuestKeys> {
  const dir = cachePaths().keys;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const priv = join(dir, 'client_ed25519');
  const pub = `${priv}.pub`;
  const hostKeyFile = join(dir, 'guest_host_ed25519.dropbear');
  let clientPrivate = await readFile(priv, 'utf8').catch(() => '');
  let clientPublic = await readFile(pub, 'utf8').catch(() => '');
  if (!clientPrivate || !clientPublic) {
    const pair = utils.generateKeyPairSync('ed25519', { comment: 'hone-harness' });
    clientPrivate = pair.private;
    clientPublic = pair.public;
    await writeFile(priv, clientPrivate, { mode: 0o600 });
    await writeFile(pub, clientPublic);
  }
  try {
    await readFile(hostKeyFile);
  } catch {
    await run('dropbearkey', ['-t', 'ed25519', '-f', hostKeyFile], {
      code: 'E_MISSING_TOOL',
      hint: 'apt-get install dropbear-bin (or `npx hone doctor --fix`)',
    });
    await chmod(hostKeyFile, 0o600);
  }
  return { clientPrivate, clientPublic, hostKeyFile };
}
