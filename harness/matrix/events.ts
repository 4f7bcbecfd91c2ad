// The matrix as a stream of typed events: what it plans, each kernel's
// phases, the guest's console, each result, each kernel's record, info and
// warnings, the end. Every output of a matrix run reads this one stream: the
// progress on the terminal (report/progress.ts), the report it returns and
// writes as matrix.json (report/collect.ts), matrix.tap (report/tap.ts),
// junit.xml (report/junit.ts) and events.jsonl (report/write.ts).
//
// A consumer is a table with one handler per kind (`Handlers`), so a new
// kind that a consumer does not handle fails `tsc`.
import type { KernelRun, ScenarioResult } from './types.ts';

/** What a kernel is doing: a phase starts and ends once per kernel, `boot` once per guest, `scenario` once per run. */
export type Phase = 'fetch' | 'build' | 'boot' | 'scenario' | 'unload';

export type MatrixEvent =
  /** First: what will run (cases = kernels x scenarios x repeat). */
  | {
      kind: 'plan';
      at: number;
      kernels: string[];
      scenarios: string[];
      repeat: number;
      jobs: number;
      /** The results folder. */
      out: string;
      host: { node: string; cores: number };
    }
  | {
      kind: 'phase-start';
      at: number;
      kernel: string;
      phase: Phase;
      /** For `scenario`: which one, and the how-manieth of this kernel's runs (n of `of`). */
      scenario?: string;
      n?: number;
      of?: number;
    }
  | { kind: 'phase-end'; at: number; kernel: string; phase: Phase; ms: number }
  /** A line the guest printed on its console (also in results/<kernel>/console*.log). */
  | { kind: 'console'; at: number; kernel: string; line: string }
  | { kind: 'result'; at: number; result: ScenarioResult }
  /** A kernel is done: its record (release, toolchain, phase times...). */
  | { kind: 'kernel'; at: number; run: KernelRun }
  | { kind: 'info'; at: number; kernel?: string; text: string }
  | { kind: 'warning'; at: number; kernel?: string; text: string }
  /** Last: every kernel is done. */
  | { kind: 'done'; at: number };

export type EventKind = MatrixEvent['kind'];
export type EventOf<K extends EventKind> = Extract<MatrixEvent, { kind: K }>;

/** One handler per kind: what a consumer does with each event. */
export type Handlers<R> = { [K in EventKind]: (e: EventOf<K>) => R };

export type EventSink = (e: MatrixEvent) => void;

/** Calls the handler of the event's kind. */
export function handle<R>(h: Handlers<R>, e: MatrixEvent): R {
  return (h[e.kind] as (e: MatrixEvent) => R)(e);
}

/** Every sink gets every event, in order. */
export function fanOut(...sinks: EventSink[]): EventSink {
  return (e) => {
    for (const s of sinks) s(e);
  };
}

/** An event without its time, as producers write it; `stamped` adds the time. */
export type Unstamped = MatrixEvent extends infer E ? (E extends MatrixEvent ? Omit<E, 'at'> : never) : never;

/** What producers call: an event without its time. */
export type Emit = (e: Unstamped) => void;

export function stamped(sink: EventSink, now: () => number = Date.now): Emit {
  return (e) => sink({ ...e, at: now() } as MatrixEvent);
}

/** A consumer of the stream: its handlers, and what it made of the events so far. */
export interface Consumer<T> {
  on: EventSink;
  value(): T;
}

export function consumer<T>(h: Handlers<void>, value: () => T): Consumer<T> {
  return { on: (e) => handle(h, e), value };
}

/** Feeds a list of events to a consumer: its value at the end (tests, replays of events.jsonl). */
export function replay<T>(c: Consumer<T>, events: readonly MatrixEvent[]): T {
  for (const e of events) c.on(e);
  return c.value();
}
