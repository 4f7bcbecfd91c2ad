// A lock between hone processes sharing one cache: a folder made with
// mkdir (atomic), removed by its holder; one older than 15 minutes is stale.
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Takes a lock folder; a lock older than 15 minutes is stale (its maker died). */
export async function tryLock(lock: string): Promise<boolean> {
  await mkdir(dirname(lock), { recursive: true });
  try {
    await mkdir(lock);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const age = await stat(lock).then((st) => Date.now() - st.mtimeMs, () => 0);
    if (age > 15 * 60 * 1000) await rm(lock, { recursive: true, force: true });
    return false;
  }
}

