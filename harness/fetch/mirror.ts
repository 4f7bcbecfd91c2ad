// Which Debian mirror to use: HONE_MIRROR if set, otherwise the one named in
// the machine's own apt sources (read, never changed), otherwise deb.debian.org.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface Mirror {
  /** Base of the main archive, e.g. http://deb.debian.org/debian */
  debian: string;
  /** Base of the security archive, e.g. http://deb.debian.org/debian-security */
  security: string;
}

export async function findMirror(env: NodeJS.ProcessEnv = process.env): Promise<Mirror> {
  if (env.HONE_MIRROR) return fromBase(env.HONE_MIRROR, env.HONE_SECURITY_MIRROR);
  const uris = await hostSourceUris();
  const main = uris.find((u) => /\/debian\/?$/.test(u));
  const sec = uris.find((u) => /\/debian-security\/?$/.test(u));
  return fromBase(main ?? 'http://deb.debian.org/debian', sec);
}

/** URIs of Debian archives in apt sources text, one-line or deb822 format. */
export function parseSourceUris(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
    const deb822 = /^URIs:\s*(.+)$/i.exec(line);
    if (oneLine?.[1]) out.push(oneLine[1]);
    else if (deb822?.[1]) out.push(...deb822[1].split(/\s+/).filter(Boolean));
  }
  return out.filter((u) => /^https?:\/\//.test(u)).map((u) => u.replace(/\/+$/, ''));
}

// --- internal ---

function fromBase(debian: string, security?: string): Mirror {
  const base = debian.replace(/\/+$/, '');
  return { debian: base, security: (security ?? base.replace(/\/debian$/, '/debian-security')).replace(/\/+$/, '') };
}

async function hostSourceUris(): Promise<string[]> {
  const files = ['/etc/apt/sources.list'];
  try {
    for (const f of await readdir('/etc/apt/sources.list.d')) {
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join('/etc/apt/sources.list.d', f));
    }
  } catch {
    // no sources.list.d: only the main file
  }
  const uris: string[] = [];
  for (const f of files) {
    try {
      uris.push(...parseSourceUris(await readFile(f, 'utf8')));
    } catch {
      // unreadable or missing file: skip it
    }
  }
  return uris;
}
