// End to end: boot one catalog kernel with Hone loaded, run commands over
// the channel, copy a file out, check two sensor behaviours (issue 8: a
// signal interrupts a blocking read; a TIME_WAIT socket's last ACK carries
// its id), power off; then make a guest panic and see it reported as a
// kernel crash, quoting the console, within 10 seconds.
// Needs the kernel fetched (`npm run setup` does it) and a host gcc that
// links statically (the fixtures read-signal.c and timewait-ack.c).
import t from 'tap';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCatalog, pickKernels } from '../../catalog/catalog.ts';
import { catalogSource } from '../../catalog/source.ts';
import { requireFetched } from '../../fetch/fetch.ts';
import { prepareKernel, startGuest } from '../../guest/prepare.ts';
import { HoneError } from '../../util/errors.ts';
import { quiet } from '../../util/log.ts';
import { execa } from '../../vendor.ts';

const kernelId = process.env.HONE_E2E_KERNEL ?? 'debian-6.1';
const here = dirname(fileURLToPath(import.meta.url));

/** Builds a fixture next to this file as a static binary in dir. */
async function fixture(dir: string, name: string): Promise<Buffer> {
  const out = join(dir, name);
  await execa('gcc', ['-static', '-O2', '-Wall', '-o', out, join(here, `${name}.c`)]);
  return readFile(out);
}

t.test(`boot ${kernelId}, exec, copy out, power off; a panic is a kernel crash`, async (t) => {
  const [k] = pickKernels(await loadCatalog(), [kernelId]);
  if (!k) throw new Error('unreachable');
  const dir = await mkdtemp(join(tmpdir(), 'hone-e2e-'));
  const prepared = await prepareKernel(await requireFetched(catalogSource(k)), quiet, { modules: true });
  t.match(prepared.accel.accel, /^(kvm|tcg)$/, `accelerator: ${prepared.accel.accel} (${prepared.accel.reason})`);

  const guest = await startGuest(prepared, quiet, { consoleFile: join(dir, 'console.log') });
  try {
    const devs = await guest.exec('ls /dev/hone /dev/honet && uname -r');
    t.equal(devs.code, 0, 'the Hone devices exist');
    t.match(devs.stdout, prepared.bundle.release, 'the guest runs the catalog kernel');
    const fail = await guest.exec('echo oops >&2; exit 7');
    t.equal(fail.code, 7, 'exit codes come back');
    t.equal(fail.stderr.trim(), 'oops', 'stderr comes back');
    await guest.check('head -c 100000 /dev/urandom > /tmp/blob && md5sum /tmp/blob > /tmp/blob.md5');
    const n = await guest.copyOut('/tmp/blob', join(dir, 'blob'));
    t.equal(n, 100000, 'a binary file is copied out whole');
    const sum = (await guest.check('cat /tmp/blob.md5')).stdout.split(' ')[0];
    const { createHash } = await import('node:crypto');
    t.equal(
      createHash('md5')
        .update(await readFile(join(dir, 'blob')))
        .digest('hex'),
      sum,
      'byte for byte',
    );

    // A reader blocked in read() with a SIGTERM handler (no SA_RESTART) gets
    // EINTR, even when the signal comes right after an event (the exit of
    // /bin/true): the read must not return that event and block again.
    await guest.writeFile('/tmp/read-signal', await fixture(dir, 'read-signal'), '0755');
    for (const dev of ['/dev/hone', '/dev/honet']) {
      const r = await guest.exec(
        `/tmp/read-signal ${dev} > /tmp/rs.out 2>&1 & P=$!; sleep 1; /bin/true; kill -TERM $P; sleep 1; cat /tmp/rs.out; if [ -d /proc/$P ]; then echo still-running; kill -KILL $P; fi`,
      );
      t.equal(r.stdout.trim(), 'read: EINTR', `${dev}: a signal ends a blocking read with EINTR`);
    }

    // The client closes first and the server ACKs alone, so the client's last
    // ACK is sent by the kernel for its timewait socket: all of the client's
    // packets carry its socket id, also those after its close block.
    await guest.writeFile('/tmp/timewait-ack', await fixture(dir, 'timewait-ack'), '0755');
    const tw = await guest.check(
      'cat /dev/honet > /tmp/tw.cap & C=$!; sleep 1; /tmp/timewait-ack > /tmp/tw.out; sleep 0.5; kill $C; cat /tmp/tw.out; echo; cat /tmp/tw.cap',
    );
    const [ids, cap] = tw.stdout.split('\n\n');
    const lines = (cap ?? '').split('\n');
    const conns = (ids ?? '')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    t.equal(conns.length, 2, `one connection per family: ${ids}`);
    for (const [family, cookie, port] of conns) {
      const at = (l: string) => l.split(' ');
      // the client's packets: sent from its port, received at its port
      const own = lines.filter((l) => {
        const f = at(l);
        return f[1] === 'PAKT' && (f[2] === 'O' ? f[6] : f[8])?.endsWith(`:${port}`);
      });
      const closed = lines.findIndex((l) => at(l)[1] === 'SOCK' && at(l)[2] === 'C' && at(l)[7] === cookie);
      const afterClose = own.filter((l) => at(l)[2] === 'O' && lines.indexOf(l) > closed);
      t.ok(
        closed >= 0 && afterClose.length > 0,
        `${family}: the client sent a packet after its close block (timewait): ${afterClose.join(' | ')}`,
      );
      t.same(
        own.filter((l) => at(l)[3] !== cookie),
        [],
        `${family}: every packet of the client carries its socket id ${cookie}`,
      );
    }

    // A SYN to a port nobody listens on is answered by the kernel alone: its
    // RST names no socket (not the kernel's control socket, which no
    // process holds and no SOCK line describes).
    await guest.writeFile('/tmp/closed-port-rst', await fixture(dir, 'closed-port-rst'), '0755');
    const rst = await guest.check(
      'cat /dev/honet > /tmp/rst.cap & C=$!; sleep 1; /tmp/closed-port-rst > /tmp/rst.out; sleep 0.5; kill $C; cat /tmp/rst.out; echo; cat /tmp/rst.cap',
    );
    const [ports, rcap] = rst.stdout.split('\n\n');
    const refused = (ports ?? '')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    t.same(
      refused.map(([family]) => family),
      ['inet', 'inet6'],
      `one refused port per family: ${ports}`,
    );
    for (const [family, port] of refused) {
      const resets = (rcap ?? '').split('\n').filter((l) => {
        const f = l.split(' ');
        return f[1] === 'PAKT' && f[2] === 'O' && f[6]?.endsWith(`:${port}`);
      });
      t.ok(resets.length > 0, `${family}: the RST from closed port ${port} is captured`);
      t.same(
        resets.filter((l) => l.split(' ')[3] !== '0000000000000000'),
        [],
        `${family}: the kernel's RST from closed port ${port} names no socket`,
      );
    }
  } finally {
    await guest.shutdown();
  }

  const crashing = await startGuest(prepared, quiet, { consoleFile: join(dir, 'console-crash.log') });
  const started = Date.now();
  try {
    await crashing.exec('echo c > /proc/sysrq-trigger');
    t.fail('the panic was not reported');
  } catch (err) {
    const elapsed = Date.now() - started;
    t.ok(err instanceof HoneError && err.code === 'E_KERNEL_CRASH', `reported as a kernel crash: ${(err as Error).message}`);
    t.ok(elapsed < 10000, `within 10 s (${elapsed} ms)`);
    t.ok(
      (err as HoneError).details.some((l) => /sysrq triggered crash/.test(l)),
      'the console lines are quoted',
    );
  } finally {
    await crashing.shutdown();
  }
});
