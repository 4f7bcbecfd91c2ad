// One error type for everything the harness reports to a user. The code is
// stable (scripts and reports key on it), the message says what failed and
// for which kernel, and the hint says what to do next.

export type HoneErrorCode =
  | 'E_USAGE'
  | 'E_UNKNOWN_KERNEL'
  | 'E_CATALOG'
  | 'E_MISSING_TOOL'
  | 'E_NEED_ROOT'
  | 'E_KERNEL_RESOLVE'
  | 'E_KERNEL_FETCH'
  | 'E_CACHE_CORRUPT'
  | 'E_BUILD_ROOT'
  | 'E_KERNEL_BUILD'
  | 'E_MODULE_BUILD'
  | 'E_VERMAGIC'
  | 'E_IMAGE'
  | 'E_GUEST_BOOT'
  | 'E_KERNEL_CRASH'
  | 'E_MODULE_LOAD'
  | 'E_CHANNEL'
  | 'E_SCENARIO'
  | 'E_CAPTURE'
  | 'E_BENCH'
  | 'E_ARCH';

export class HoneError extends Error {
  readonly code: HoneErrorCode;
  readonly hint: string | undefined;
  readonly kernel: string | undefined;
  /** Extra lines worth showing (console tail, compiler output). */
  readonly details: string[];

  constructor(code: HoneErrorCode, message: string, opts: { hint?: string; kernel?: string; details?: string[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'HoneError';
    this.code = code;
    this.hint = opts.hint;
    this.kernel = opts.kernel;
    this.details = opts.details ?? [];
  }
}

/** The text a user sees for an error: message, details, then what to do. */
export function formatError(err: unknown): string {
  if (!(err instanceof HoneError)) {
    return err instanceof Error ? (err.stack ?? err.message) : String(err);
  }
  const head = err.kernel ? `hone: ${err.kernel}: ${err.message}` : `hone: ${err.message}`;
  const lines = [head, ...err.details.map((l) => `  | ${l}`)];
  if (err.hint) lines.push(`  next: ${err.hint}`);
  return lines.join('\n');
}

/**
 * The error with the kernel it concerns: tagged once, where a kernel's run
 * begins (a command for one kernel, the matrix's or the stress suite's part
 * for it), so the modules below need not carry the id for their messages.
 * An error that names a kernel already keeps it.
 */
export function tagKernel(err: unknown, kernelId: string): unknown {
  if (!(err instanceof HoneError) || err.kernel) return err;
  const tagged = new HoneError(err.code, err.message, { kernel: kernelId, hint: err.hint, details: err.details, cause: err.cause });
  tagged.stack = err.stack;
  return tagged;
}

/** Runs one kernel's part; a HoneError leaving it names the kernel. */
export async function withKernel<T>(kernelId: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw tagKernel(err, kernelId);
  }
}
