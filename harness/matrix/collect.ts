// The matrix report (matrix.json, and what runMatrix returns) as a consumer
// of the event stream: the plan gives the start, the host and the kernels'
// order; each kernel and result event adds itself; done gives the duration.
// Results are reported kernel by kernel in the plan's order, whichever
// kernel finished first.
import { consumer, type Consumer, type Handlers } from './events.ts';
import type { KernelRun, MatrixReport, ScenarioResult } from './types.ts';

export function collectReport(): Consumer<MatrixReport> {
  let startedAt = 0;
  let endedAt: number | undefined;
  let repeat = 1;
  let host = { node: '', cores: 0 };
  const order = new PlanOrder();
  const kernels: KernelRun[] = [];
  const results: ScenarioResult[] = [];
  const h = {
    plan: (e) => {
      startedAt = e.at;
      repeat = e.repeat;
      host = e.host;
      order.plan(e.kernels);
    },
    'phase-start': () => {},
    'phase-end': () => {},
    console: () => {},
    result: (e) => {
      results.push(e.result);
    },
    kernel: (e) => {
      kernels.push(e.run);
    },
    info: () => {},
    warning: () => {},
    done: (e) => {
      endedAt = e.at;
    },
  } satisfies Handlers<void>;
  return consumer(h, () => ({
    startedAt: new Date(startedAt).toISOString(),
    durationMs: (endedAt ?? startedAt) - startedAt,
    repeat,
    host,
    kernels: order.sort(kernels, (k) => k.id),
    results: order.sort(results, (r) => r.kernel),
  }));
}

/** The kernels' order in the plan; a stable sort of anything by its kernel. */
export class PlanOrder {
  #index = new Map<string, number>();

  plan(kernels: string[]): void {
    kernels.forEach((k, i) => this.#index.set(k, i));
  }

  sort<T>(items: readonly T[], kernelOf: (x: T) => string): T[] {
    const at = (x: T) => this.#index.get(kernelOf(x)) ?? this.#index.size;
    return [...items].sort((a, b) => at(a) - at(b));
  }
}
