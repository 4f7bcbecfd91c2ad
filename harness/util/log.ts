// Progress output: plain lines, prefixed with the kernel they concern, on
// stderr so that --json output on stdout stays clean.
export type Logger = (line: string) => void;

export const log: Logger = (line) => {
  process.stderr.write(`${line}\n`);
};

export function prefixed(prefix: string, base: Logger = log): Logger {
  return (line) => base(`[${prefix}] ${line}`);
}

export const quiet: Logger = () => {};
