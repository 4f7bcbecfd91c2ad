// The SSH channel against a real SSH server in this process (ssh2's Server,
// standing in for the guest's dropbear): commands with their exit codes and
// output, files in and out through cat, timeouts, a connection lost while a
// command runs, and a guest that never answers.
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshChannel, shellQuote } from '../../channel/ssh.ts';
import { HoneError } from '../../util/errors.ts';
import { SshServer as Server, sshUtils as utils, type ServerChannel as Stream } from '../../vendor.ts';

const hostKey = utils.generateKeyPairSync('ed25519').private;
const clientKey = utils.generateKeyPairSync('ed25519');
const parsed = utils.parseKey(clientKey.public);
if (parsed instanceof Error) throw parsed;
const allowed = Array.isArray(parsed) ? parsed[0]! : parsed;

/** The guest's shell, as far as the channel uses it: cat in and out of files, and a few test commands. */
function guestShell(files: Map<string, Buffer>, command: string, stream: Stream, endClient: () => void): void {
  const quoted = `'((?:[^']|'\\\\'')*)'`;
  const unquote = (s: string) => s.replaceAll("'\\''", "'");
  let m: RegExpMatchArray | null;
  if ((m = command.match(new RegExp(`^cat > ${quoted} && chmod (\\d+) ${quoted}$`)))) {
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => {
      files.set(unquote(m![1]!), Buffer.concat(chunks));
      stream.exit(0);
      stream.end();
    });
  } else if ((m = command.match(new RegExp(`^cat ${quoted}$`)))) {
    const data = files.get(unquote(m[1]!));
    if (data) stream.write(data);
    else stream.stderr.write(`cat: ${unquote(m[1]!)}: No such file or directory\n`);
    stream.exit(data ? 0 : 1);
    stream.end();
  } else if ((m = command.match(/^say (\d+)$/))) {
    stream.write('to stdout\n');
    stream.stderr.write('line 1\nline 2\n');
    stream.exit(Number(m[1]));
    stream.end();
  } else if (command === 'hang') {
    // never exits
  } else if (command === 'drop') {
    endClient();
  } else {
    stream.stderr.write(`sh: ${command}: not found\n`);
    stream.exit(127);
    stream.end();
  }
}

async function startGuest(teardown: (fn: () => Promise<void>) => void) {
  const files = new Map<string, Buffer>();
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    client.on('authentication', (ctx) => {
      const ok =
        ctx.method === 'publickey' &&
        ctx.username === 'root' &&
        ctx.key.algo === allowed.type &&
        ctx.key.data.equals(allowed.getPublicSSH()) &&
        (!ctx.signature || allowed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true);
      if (ok) ctx.accept();
      else ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        accept().on('exec', (acceptExec, _reject, info) => guestShell(files, info.command, acceptExec(), () => client.end()));
      });
    });
    client.on('error', () => undefined);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  teardown(() => new Promise<void>((res) => server.close(() => res())));
  return { port: (server.address() as AddressInfo).port, files };
}

t.test('the SSH channel', async (t) => {
  const guest = await startGuest((fn) => t.teardown(fn));
  const ch = await SshChannel.connect({ port: guest.port, privateKey: clientKey.private, kernel: 'k-test', timeoutMs: 10_000 });
  t.teardown(() => ch.close());

  t.test('exec: exit code, stdout and stderr apart', async (t) => {
    const r = await ch.exec('say 3');
    t.equal(r.code, 3);
    t.equal(r.stdout, 'to stdout\n');
    t.equal(r.stderr, 'line 1\nline 2\n');
    t.ok(r.durationMs >= 0);
    t.equal((await ch.exec('say 0')).code, 0);
  });

  t.test('exec streams output to callbacks instead of collecting it', async (t) => {
    const out: string[] = [];
    const err: string[] = [];
    const r = await ch.exec('say 0', { onStdout: (d) => out.push(d.toString()), onStderr: (d) => err.push(d.toString()) });
    t.equal(out.join(''), 'to stdout\n');
    t.equal(err.join(''), 'line 1\nline 2\n');
    t.equal(r.stdout, '', 'nothing collected when streamed');
  });

  t.test('check throws E_CHANNEL with the command, its code, the kernel and its output', async (t) => {
    const err = await ch.check('say 2').then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(err instanceof HoneError);
    const e = err as HoneError;
    t.equal(e.code, 'E_CHANNEL');
    t.equal(e.message, '`say 2` exited with 2 in the guest');
    t.equal(e.kernel, 'k-test');
    t.same(e.details, ['line 1', 'line 2'], 'stderr lines as details');
    t.equal((await ch.check('say 0')).code, 0);
  });

  t.test('writeFile and copyOut move bytes unchanged, quoting awkward names', async (t) => {
    const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    const remote = "/tmp/it's a 'file'";
    await ch.writeFile(remote, data, '0755');
    t.ok(guest.files.get(remote)?.equals(data), 'the guest got every byte under its exact name');
    const dir = mkdtempSync(join(tmpdir(), 'hone-ssh-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const local = join(dir, 'out');
    t.equal(await ch.copyOut(remote, local), data.length, 'copyOut returns the byte count');
    t.ok(readFileSync(local).equals(data), 'and the host file has the same bytes');
    await t.rejects(ch.copyOut('/nope', join(dir, 'x')), {
      code: 'E_CHANNEL',
      message: 'could not copy /nope out of the guest: cat: /nope: No such file or directory',
    });
  });

  t.test('a command that does not finish in time is an error with its output so far', async (t) => {
    await t.rejects(ch.exec('hang', { timeoutMs: 300 }), { code: 'E_CHANNEL', message: '`hang` did not finish within 0.3 s in the guest' });
    t.equal((await ch.exec('say 0')).code, 0, 'the connection is still usable');
  });
});

t.test('a connection lost while a command runs rejects it', { timeout: 10_000 }, async (t) => {
  const guest = await startGuest((fn) => t.teardown(fn));
  const ch = await SshChannel.connect({ port: guest.port, privateKey: clientKey.private, kernel: 'k-test', timeoutMs: 10_000 });
  t.teardown(() => ch.close());
  await t.rejects(ch.exec('drop'), { code: 'E_CHANNEL', message: 'the SSH connection closed while `drop` was running' });
});

t.test('a guest that refuses the key or is not there: E_CHANNEL after the timeout, naming the port', async (t) => {
  const guest = await startGuest((fn) => t.teardown(fn));
  const stranger = utils.generateKeyPairSync('ed25519').private;
  const started = Date.now();
  await t.rejects(SshChannel.connect({ port: guest.port, privateKey: stranger, kernel: 'k-test', timeoutMs: 1500 }), {
    code: 'E_CHANNEL',
    kernel: 'k-test',
    message: new RegExp(
      `^could not open SSH to the guest on 127\\.0\\.0\\.1:${guest.port} within 1\\.5 s: All configured authentication methods failed`,
    ),
  });
  t.ok(Date.now() - started >= 1500, 'it retried until the deadline');
});

t.test('shellQuote', async (t) => {
  t.equal(shellQuote('plain'), "'plain'");
  t.equal(shellQuote(''), "''");
  t.equal(shellQuote("it's"), "'it'\\''s'");
  t.equal(shellQuote("a'b'c"), "'a'\\''b'\\''c'", 'every quote, not only the first');
  t.equal(shellQuote('$(rm -rf /) `x` "y"'), '\'$(rm -rf /) `x` "y"\'', 'nothing expands inside single quotes');
});
