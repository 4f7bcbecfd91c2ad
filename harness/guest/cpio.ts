// A minimal writer for the "newc" cpio format the kernel unpacks as an
// initramfs: directories, regular files and symlinks, owned by root.
import { gzipSync } from 'node:zlib';

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer; mode?: number }
  | { kind: 'symlink'; path: string; target: string };

export function writeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    const data = e.kind === 'file' ? e.data : e.kind === 'symlink' ? Buffer.from(e.target) : Buffer.alloc(0);
    const type = e.kind === 'dir' ? 0o040000 : e.kind === 'file' ? 0o100000 : 0o120000;
    const perm = e.kind === 'symlink' ? 0o777 : (e.mode ?? (e.kind === 'dir' ? 0o755 : 0o644));
    parts.push(header(ino++, type | perm, e.kind === 'dir' ? 2 : 1, data.length, name), data, pad(data.length));
  }
  parts.push(header(0, 0, 1, 0, 'TRAILER!!!'));
  return Buffer.concat(parts);
}

export function gzipCpio(entries: CpioEntry[]): Buffer {
  return gzipSync(writeCpio(entries), { level: 1 });
}

// --- internal ---

function header(ino: number, mode: number, nlink: number, size: number, name: string): Buffer {
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, name.length + 1, 0];
  const text = `070701${fields.map(hex).join('')}${name}\0`;
  const buf = Buffer.from(text, 'latin1');
  return Buffer.concat([buf, pad(buf.length)]);
}

function pad(n: number): Buffer {
  return Buffer.alloc((4 - (n % 4)) % 4);
}
