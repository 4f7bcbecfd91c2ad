// Watching a guest's serial console: markers the guest's /init prints, and
// kernel splats (panic, oops, BUG, WARNING, call traces), which fail a run as
// a kernel crash whatever QEMU's exit code says.
//
// The debug kernel's reports are splats too: KASAN ("BUG: KASAN: ..."),
// lockdep ("WARNING: possible circular locking dependency detected",
// "WARNING: inconsistent lock state", "WARNING: suspicious RCU usage"), the
// atomic-sleep check ("BUG: sleeping function called from invalid
// context"), DEBUG_LIST (a WARNING) are all caught by BUG: and WARNING:.
// kmemleak prints "unreferenced object 0x..." on the console only when a
// scan runs with kmemleak.verbose=1; the harness reads its report itself
// (guest/kmemleak.ts), and the line is caught here too.

const splat =
  /Kernel panic|\bOops\b|\bBUG:|\bWARNING:|Call Trace:|general protection fault|Unable to handle kernel|unreferenced object 0x[0-9a-f]+ \(size/;

export function isSplat(line: string): boolean {
  return splat.test(line);
}

export type ConsoleEvent =
  | { kind: 'init' }
  | { kind: 'ready'; uptime: number }
  | { kind: 'modules-loaded' }
  /** dropbear started: the harness connects while Hone's modules load. */
  | { kind: 'ssh-up' }
  | { kind: 'ssh-fail' }
  | { kind: 'module-fail'; detail: string }
  | { kind: 'splat'; line: string }
  | { kind: 'other' };

export function classifyLine(raw: string): ConsoleEvent {
  const line = raw.replace(/\r$/, '');
  if (line.startsWith('HONE-INIT')) return { kind: 'init' };
  const ready = /^HONE-READY\s+([\d.]+)/.exec(line);
  if (ready) return { kind: 'ready', uptime: Number(ready[1]) };
  if (line.startsWith('HONE-MODULES-LOADED')) return { kind: 'modules-loaded' };
  if (line.startsWith('HONE-SSH-UP')) return { kind: 'ssh-up' };
  if (line.startsWith('HONE-SSH-FAIL')) return { kind: 'ssh-fail' };
  if (line.startsWith('HONE-MODULE-FAIL')) return { kind: 'module-fail', detail: line.slice('HONE-MODULE-FAIL'.length).trim() };
  if (isSplat(line)) return { kind: 'splat', line };
  return { kind: 'other' };
}

/** A step of the guest's /init done, with the guest uptime then. */
export interface BootStep {
  step: string;
  uptime: number;
}

/** "HONE-<STEP> <uptime s>" (MOUNTED, NET-UP, SSH-UP, MODULES-LOADED, READY; images/guest-init.sh). */
export function bootStep(raw: string): BootStep | undefined {
  const m = /^HONE-([A-Z][A-Z-]*) (\d+(?:\.\d+)?)$/.exec(raw.replace(/\r$/, ''));
  return m ? { step: (m[1] as string).toLowerCase(), uptime: Number(m[2]) } : undefined;
}

/** Keeps the last lines of the console for error messages. */
export class ConsoleTail {
  private readonly lines: string[] = [];
  /** Lines pushed so far, including those no longer kept. */
  private pushed = 0;
  constructor(private readonly max = 60) {}

  push(line: string): void {
    this.lines.push(line.replace(/\r$/, ''));
    this.pushed++;
    if (this.lines.length > this.max) this.lines.shift();
  }

  last(n = this.max): string[] {
    return this.lines.slice(-n);
  }

  /** A mark for the line just pushed, for excerpt(). */
  mark(): number {
    return this.pushed - 1;
  }

  /** Up to n lines starting `before` lines ahead of a mark (as far as they are still kept). */
  excerpt(mark: number, before: number, n: number): string[] {
    const firstKept = this.pushed - this.lines.length;
    const from = Math.max(mark - before, firstKept) - firstKept;
    return this.lines.slice(from, from + n);
  }
}
