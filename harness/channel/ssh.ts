// The channel to a guest: an SSH connection (ssh2 client, dropbear in the
// guest) for running commands with their exit code and streamed output, and
// for moving files in and out (through cat, so no sftp server is needed).
import { createWriteStream } from 'node:fs';
import { SshClient as Client, type ClientChannel } from '../vendor.ts';
import { HoneError } from '../util/errors.ts';

export interface ExecResult {
  code: number;
  signal?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface ExecOptions {
  timeoutMs?: number;
  input?: Buffer | string;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export class SshChannel {
  private constructor(
    private readonly client: Client,
    readonly kernel: string,
  ) {}

  /** Retries until timeoutMs (dropbear may not be listening yet); `signal` stops the retries. */
  static async connect(opts: {
    port: number;
    privateKey: string;
    kernel: string;
    timeoutMs: number;
    signal?: AbortSignal;
  }): Promise<SshChannel> {
    const deadline = Date.now() + opts.timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline && !opts.signal?.aborted) {
      try {
        return new SshChannel(await connectOnce(opts.port, opts.privateKey), opts.kernel);
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new HoneError(
      'E_CHANNEL',
      `could not open SSH to the guest on 127.0.0.1:${opts.port} within ${opts.timeoutMs / 1000} s: ${(lastError as Error)?.message}`,
      {
        kernel: opts.kernel,
        hint: 'dropbear said it had started; look at the console log for its errors',
      },
    );
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, stream) => {
        if (err) {
          reject(new HoneError('E_CHANNEL', `could not run \`${command}\` in the guest: ${err.message}`, { kernel: this.kernel }));
          return;
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let timer: NodeJS.Timeout | undefined;
        const onClose = () => {
          if (timer) clearTimeout(timer);
          reject(new HoneError('E_CHANNEL', `the SSH connection closed while \`${command}\` was running`, { kernel: this.kernel }));
        };
        this.client.once('close', onClose);
        if (opts.timeoutMs) {
          timer = setTimeout(() => {
            stream.close();
            reject(
              new HoneError('E_CHANNEL', `\`${command}\` did not finish within ${opts.timeoutMs! / 1000} s in the guest`, {
                kernel: this.kernel,
                details: tailLines(Buffer.concat(errOut).toString() || Buffer.concat(out).toString()),
              }),
            );
          }, opts.timeoutMs);
        }
        stream.on('data', (d: Buffer) => (opts.onStdout ? opts.onStdout(d) : out.push(d)));
        stream.stderr.on('data', (d: Buffer) => (opts.onStderr ? opts.onStderr(d) : errOut.push(d)));
        stream.on('exit', (code: number | null, signal?: string) => {
          stream.once('close', () => {
            this.client.off('close', onClose);
            if (timer) clearTimeout(timer);
            resolve({
              code: code ?? -1,
              ...(signal ? { signal } : {}),
              stdout: Buffer.concat(out).toString(),
              stderr: Buffer.concat(errOut).toString(),
              durationMs: Date.now() - started,
            });
          });
        });
        writeInput(stream, opts.input);
      });
    });
  }

  /** Runs a command and throws if it exits non-zero. */
  async check(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(command, opts);
    if (r.code !== 0) {
      throw new HoneError('E_CHANNEL', `\`${command}\` exited with ${r.code} in the guest`, {
        kernel: this.kernel,
        details: tailLines(r.stderr || r.stdout),
      });
    }
    return r;
  }

  /** Copies a guest file to the host. */
  async copyOut(remote: string, local: string): Promise<number> {
    const file = createWriteStream(local);
    let bytes = 0;
    const r = await this.exec(`cat ${shellQuote(remote)}`, {
      onStdout: (d) => {
        bytes += d.length;
        file.write(d);
      },
    });
    await new Promise<void>((res) => file.end(res));
    if (r.code !== 0)
      throw new HoneError('E_CHANNEL', `could not copy ${remote} out of the guest: ${r.stderr.trim()}`, { kernel: this.kernel });
    return bytes;
  }

  /** Writes data to a guest file. */
  async writeFile(remote: string, data: Buffer | string, mode = '0644'): Promise<void> {
    await this.check(`cat > ${shellQuote(remote)} && chmod ${mode} ${shellQuote(remote)}`, { input: data });
  }

  /** An interactive shell on this terminal; resolves when the user leaves it. */
  interactive(): Promise<void> {
    return new Promise((resolve, reject) => {
      const { columns = 80, rows = 24 } = process.stdout;
      this.client.shell({ term: process.env.TERM ?? 'xterm', cols: columns, rows }, (err, stream) => {
        if (err) {
          reject(new HoneError('E_CHANNEL', `could not open a shell in the guest: ${err.message}`, { kernel: this.kernel }));
          return;
        }
        const stdin = process.stdin;
        const raw = stdin.isTTY;
        if (raw) stdin.setRawMode(true);
        stdin.pipe(stream);
        stream.pipe(process.stdout);
        stream.stderr.pipe(process.stderr);
        const onResize = () => stream.setWindow(process.stdout.rows ?? 24, process.stdout.columns ?? 80, 0, 0);
        process.stdout.on('resize', onResize);
        stream.on('close', () => {
          process.stdout.off('resize', onResize);
          stdin.unpipe(stream);
          if (raw) stdin.setRawMode(false);
          stdin.pause();
          resolve();
        });
      });
    });
  }

  close(): void {
    this.client.end();
  }
}

export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

// --- internal ---

function connectOnce(port: number, privateKey: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.once('ready', () => resolve(c));
    c.once('error', (e) => reject(e));
    c.connect({ host: '127.0.0.1', port, username: 'root', privateKey, readyTimeout: 10000, keepaliveInterval: 0 });
  });
}

function writeInput(stream: ClientChannel, input: Buffer | string | undefined): void {
  if (input !== undefined) stream.end(input);
  else stream.end();
}

function tailLines(text: string, n = 15): string[] {
  return text.split('\n').filter(Boolean).slice(-n);
}
