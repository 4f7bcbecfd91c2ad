// Splitting a byte stream into lines as it arrives: a chunk may end inside
// a line (or inside a UTF-8 character), which waits for the next chunk; the
// last unterminated line comes out when the stream ends. A trailing \r (a
// serial console's line end) is dropped. The one splitter behind QEMU's
// console (guest/qemu.ts) and run()'s onLine (util/run.ts).
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  /** The lines this chunk completes. */
  push(chunk: Buffer | string): string[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.map(trimCr);
  }

  /** The unterminated rest, if any (at the end of the stream). */
  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest === '' ? [] : [trimCr(rest)];
  }
}

/** Calls onLine for each line of a stream; resolves when the stream has ended (or closed) and every line was delivered. */
export function eachLine(stream: Readable | null | undefined, onLine: (line: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  const splitter = new LineSplitter();
  stream.on('data', (chunk: Buffer | string) => {
    for (const line of splitter.push(chunk)) onLine(line);
  });
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      for (const line of splitter.end()) onLine(line);
      resolve();
    };
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
  });
}

function trimCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
