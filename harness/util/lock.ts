// A lock between hone processes sharing one cache: a folder made with
// mkdir (atomic), removed by its holder; one older than 15 minutes is stale.
// A holder busy for longer (a kernel build takes an hour) keeps it fresh.
import { mkdir, rm, stat, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';

export const staleLockMs = 15 * 60 * 1000;

/** Takes a lock folder; a lock older than 15 minutes is stale (its maker died). */
export async function tryLock(lock: string): Promise<boolean> {
  await mkdir(dirname(lock), { recursive: true });
  try {
    await mkdir(lock);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const age = await stat(lock).then(
      (st) => Date.now() - st.mtimeMs,
      () => 0,
    );
    if (age > staleLockMs) await rm(lock, { recursive: true, force: true });
    return false;
  }
}

/** Touches a held lock every minute so no other process takes it for stale; returns the stop function. */
export function keepLockFresh(lock: string, everyMs = 60 * 1000): () => void {
  const timer = setInterval(() => {
    const now = new Date();
    void utimes(lock, now, now).catch(() => undefined);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
