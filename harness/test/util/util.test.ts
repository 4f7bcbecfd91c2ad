// util/: external commands (run), the cache lock, loggers, cache paths and
// error formatting, each with its edge cases.
import t from 'tap';
import { mkdtempSync, rmSync, statSync, utimesSync, existsSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { run } from '../../util/run.ts';
import { keepLockFresh, staleLockMs, tryLock } from '../../util/lock.ts';
import { prefixed } from '../../util/log.ts';
import { cacheRoot, cachePaths } from '../../util/paths.ts';
import { HoneError, formatError } from '../../util/errors.ts';

const fails = async (p: Promise<unknown>): Promise<HoneError> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof HoneError)) throw new Error(`expected a HoneError, got ${String(e)}`);
  return e;
};

t.test('run: output, exit code, environment', async (t) => {
  const r = await run('sh', ['-c', 'echo out; echo err >&2']);
  t.equal(r.exitCode, 0);
  t.equal(r.stdout, 'out', 'the final newline stripped');
  t.equal(r.stderr, 'err');
  t.equal(r.command, 'sh -c echo out; echo err >&2');
  t.equal((await run('sh', ['-c', 'cat'], { input: 'fed' })).stdout, 'fed', 'input goes to stdin');
  t.equal((await run('sh', ['-c', 'echo "$HONE_X"'], { env: { HONE_X: 'y' } })).stdout, 'y');
  t.equal((await run('sh', ['-c', 'echo "${HOME:-unset}"'], { cleanEnv: true, env: {} })).stdout, 'unset', 'cleanEnv drops the rest');
  t.equal((await run('pwd', [], { cwd: '/' })).stdout, '/');
  const soft = await run('sh', ['-c', 'exit 4'], { allowFail: true });
  t.equal(soft.exitCode, 4, 'allowFail returns the failure');
});

t.test('run: a failure is a HoneError naming the command, why, and the tail of its output', async (t) => {
  const many = Array.from({ length: 20 }, (_, i) => `echo line${i + 1} >&2`).join('; ');
  const e = await fails(run('sh', ['-c', `${many}; exit 3`], { code: 'E_MODULE_BUILD', kernel: 'k1', hint: 'h' }));
  t.equal(e.code, 'E_MODULE_BUILD');
  t.equal(e.kernel, 'k1');
  t.equal(e.hint, 'h');
  t.match(e.message, /^`sh -c echo line1 .*` exited with code 3 after \d+\.\d s$/);
  t.same(
    e.details,
    Array.from({ length: 15 }, (_, i) => `line${i + 6}`),
    'the last 15 lines of stderr',
  );
  t.same((await fails(run('sh', ['-c', 'echo only-stdout; exit 1']))).details, ['only-stdout'], 'stdout when stderr is empty');
  t.equal((await fails(run('sh', ['-c', 'exit 1']))).code, 'E_USAGE', 'E_USAGE unless told');
  t.match((await fails(run('sleep', ['5'], { timeoutMs: 200 }))).message, /^`sleep 5` timed out after 200 ms/);
  t.match((await fails(run('sh', ['-c', 'kill -TERM $$']))).message, /was killed by SIGTERM/);
  t.match((await fails(run('/nonexistent/hone-no-such-tool', []))).message, /could not start \(/);
  const long = await fails(run('sh', ['-c', `exit 1 #${'x'.repeat(300)}`]));
  t.match(long.message, /^`sh -c exit 1 #x+\.\.\.` /, 'a long command is shortened');
  t.ok(long.message.indexOf('...') <= 1 + 197, 'to 200 characters');
});

t.test('run: onLine gets whole lines from both streams, however the output is chunked', async (t) => {
  const lines: string[] = [];
  const r = await run('sh', ['-c', "printf 'a'; sleep 0.1; printf 'b\\nc\\n'; sleep 0.1; printf 'd\\n' >&2"], {
    onLine: (l) => lines.push(l),
  });
  t.same(lines.sort(), ['ab', 'c', 'd']);
  t.equal(r.exitCode, 0);
});

t.test('tryLock: one holder; a stale lock is cleared for the next try', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hone-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lock = join(dir, 'sub', 'x.lock');
  t.equal(await tryLock(lock), true, 'the first taker gets it (parents made)');
  t.equal(await tryLock(lock), false, 'a second does not');
  t.ok(existsSync(lock), 'a fresh lock stays');
  const old = (Date.now() - staleLockMs - 60_000) / 1000;
  utimesSync(lock, old, old);
  t.equal(await tryLock(lock), false, 'a stale lock is not taken in the same call');
  t.notOk(existsSync(lock), 'but removed');
  t.equal(await tryLock(lock), true, 'so the next try gets it');
  const almost = (Date.now() - staleLockMs + 60_000) / 1000;
  utimesSync(lock, almost, almost);
  t.equal(await tryLock(lock), false);
  t.ok(existsSync(lock), 'a lock younger than 15 minutes is kept');
});

t.test('keepLockFresh touches the lock until stopped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hone-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lock = join(dir, 'x.lock');
  await tryLock(lock);
  utimesSync(lock, 1000, 1000);
  const stop = keepLockFresh(lock, 20);
  await new Promise((r) => setTimeout(r, 150));
  stop();
  // stop() cannot recall a touch already issued (utimes is async): let it land first
  await new Promise((r) => setTimeout(r, 100));
  t.ok(Date.now() - statSync(lock).mtimeMs < 10_000, 'touched');
  utimesSync(lock, 1000, 1000);
  await new Promise((r) => setTimeout(r, 100));
  t.equal(statSync(lock).mtimeMs, 1_000_000, 'not after stop');
});

t.test('prefixed loggers nest', async (t) => {
  const lines: string[] = [];
  prefixed(
    'inner',
    prefixed('outer', (l) => lines.push(l)),
  )('hello');
  t.same(lines, ['[outer] [inner] hello']);
});

t.test('cacheRoot: HONE_CACHE, then an absolute XDG_CACHE_HOME, else ~/.cache', async (t) => {
  t.equal(cacheRoot({ HONE_CACHE: 'rel/c', XDG_CACHE_HOME: '/x' }), resolve('rel/c'), 'HONE_CACHE wins, made absolute');
  t.equal(cacheRoot({ XDG_CACHE_HOME: '/xdg' }), '/xdg/hone');
  t.equal(cacheRoot({ XDG_CACHE_HOME: 'relative' }), join(homedir(), '.cache', 'hone'), 'a relative XDG_CACHE_HOME is ignored (XDG spec)');
  t.equal(cacheRoot({}), join(homedir(), '.cache', 'hone'));
  const p = cachePaths('/c');
  t.equal(p.kernel('debian-6.1'), '/c/kernels/debian-6.1');
  t.equal(p.buildRoot('trixie'), '/c/buildroots/trixie');
  t.equal(p.builds('k'), '/c/builds/k');
  t.equal(p.images('k'), '/c/images/k');
});

t.test('formatError: message with kernel, details, hint; other errors as they are', async (t) => {
  t.equal(
    formatError(new HoneError('E_VERMAGIC', 'bad', { kernel: 'k', details: ['a', 'b'], hint: 'do x' })),
    'hone: k: bad\n  | a\n  | b\n  next: do x',
  );
  t.equal(formatError(new HoneError('E_USAGE', 'plain')), 'hone: plain');
  const cause = new Error('inner');
  t.equal(new HoneError('E_USAGE', 'outer', { cause }).cause, cause, 'the cause is kept');
  t.equal(formatError('a string'), 'a string');
  const plain = new Error('boom');
  t.equal(formatError(plain), plain.stack);
});
