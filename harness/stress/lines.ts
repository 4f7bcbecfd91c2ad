// The guest program's verdict lines, `stress: NAME PASS|FAIL detail`, and
// how one fault's run is judged from them, its exit code and the kernel log.
import { isSplat } from '../guest/console.ts';

export type FaultStatus = 'pass' | 'fail' | 'crash' | 'infra';

export interface StressLine {
  fault: string;
  pass: boolean;
  detail: string;
}

const linePattern = /^stress: (\S+) (PASS|FAIL)(?: (.*))?$/;

export function parseStressLine(raw: string): StressLine | undefined {
  const m = linePattern.exec(raw.replace(/\r$/, ''));
  if (!m) return undefined;
  return { fault: m[1] as string, pass: m[2] === 'PASS', detail: (m[3] ?? '').trim() };
}

export function parseStressLines(text: string): StressLine[] {
  return text.split('\n').flatMap((l) => {
    const p = parseStressLine(l);
    return p ? [p] : [];
  });
}

export interface FaultRun {
  fault: string;
  exitCode: number;
  stdout: string;
  /** The kernel log written while the fault ran (dmesg). */
  dmesg: string;
}

export interface Judged {
  status: FaultStatus;
  detail: string;
  /** Kernel log lines that are splats (oops, BUG, WARNING, call traces). */
  splats: string[];
}

/**
 * A fault passes only with exactly one PASS line of its own name, exit code
 * 0 and no splat in the kernel log; a FAIL line, a missing or extra line, an
 * exit code that disagrees, or a splat fails it.
 */
export function judgeFault(r: FaultRun): Judged {
  const splats = r.dmesg
    .split('\n')
    .filter(isSplat)
    .map((l) => l.trim());
  const own = parseStressLines(r.stdout).filter((l) => l.fault === r.fault);
  const line = own.at(-1);
  if (splats.length)
    return {
      status: 'crash',
      detail: `kernel splat: ${splats[0]}${line ? ` (the program said ${line.pass ? 'PASS' : 'FAIL'}: ${line.detail})` : ''}`,
      splats,
    };
  if (!line) return { status: 'fail', detail: `no verdict line from the guest program (exit code ${r.exitCode})`, splats };
  if (own.length > 1)
    return { status: 'fail', detail: `${own.length} verdict lines; last: ${line.pass ? 'PASS' : 'FAIL'} ${line.detail}`, splats };
  if (!line.pass) return { status: 'fail', detail: line.detail, splats };
  if (r.exitCode !== 0) return { status: 'fail', detail: `PASS line but exit code ${r.exitCode}: ${line.detail}`, splats };
  return { status: 'pass', detail: line.detail, splats };
}
