// Live progress for the matrix on a terminal: log lines scroll as usual and
// one status line stays at the bottom (done/total, pass/todo/fail so far,
// what each guest is doing). Off a terminal it is a plain logger.
import type { Logger } from '../util/log.ts';
import type { ResultStatus } from '../matrix/types.ts';

export interface Progress {
  logger: Logger;
  /** A kernel started or finished a step (shown in the status line). */
  doing(kernel: string, what: string | undefined): void;
  result(status: ResultStatus): void;
  done(): void;
}

export function makeProgress(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const counts: Record<ResultStatus, number> = { pass: 0, fail: 0, todo: 0, crash: 0, infra: 0 };
  const doing = new Map<string, string>();
  const live = stream.isTTY === true;
  const status = () => {
    const n = Object.values(counts).reduce((a, b) => a + b, 0);
    const bad = counts.fail + counts.crash + counts.infra;
    const now = [...doing].map(([k, w]) => `${k}: ${w}`).join(' | ');
    const line = `[matrix ${n}/${total}] ${counts.pass} pass, ${counts.todo} todo, ${bad} failing${now ? ` | ${now}` : ''}`;
    return line.slice(0, Math.max(20, (stream.columns ?? 120) - 1));
  };
  const clear = () => live && stream.write('\r\x1b[2K');
  const draw = () => live && stream.write(status());
  return {
    logger: (line) => {
      clear();
      stream.write(`${line}\n`);
      draw();
    },
    doing: (kernel, what) => {
      if (what) doing.set(kernel, what);
      else doing.delete(kernel);
      clear();
      draw();
    },
    result: (s) => {
      counts[s]++;
      clear();
      draw();
    },
    done: () => {
      clear();
    },
  };
}
