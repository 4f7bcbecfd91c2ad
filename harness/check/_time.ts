// Time, from the runner's side: every step record has CLOCK_MONOTONIC when
// it began and (runners since the proof work) when its system calls were
// done; an exit has the time the controller saw the process gone. A
// capture's timestamps are wall-clock microseconds (the sensor's boot time +
// monotonic, kmod/FORMAT.md); the text stream's are monotonic ns of the same
// events, which gives the sensor's boot time (_capture.ts); without the
// text, the truth's own real/monotonic pairs estimate it.
import type { Truth, TruthStep } from './types.ts';

/** Tolerance of every time comparison, in µs: the clock conversion (measured within 6 µs on real runs) and the timestamps' 1 µs resolution; real steps are 30-100 µs apart. */
export const SLACK_US = 20;

/** [lo, hi] in monotonic µs; hi may be Infinity (an exit that nobody saw end). */
export interface Window {
  lo: number;
  hi: number;
}

export interface Clock {
  /** Wall-clock boot time in µs, from the truth's own (realUs, monoNs) pairs. */
  bootUs: number;
  /** Every event in the capture happened before this (monotonic µs), when the runner recorded it. */
  endUs: number;
  /** The runner recorded endMonoNs (it draws every window; older truths borrow the next step's start). */
  exact: boolean;
}

export function makeClock(truth: Truth): Clock {
  // realUs is read right after monoNs: the smallest difference is the closest to the true offset
  let boot = truth.realMinusMonoUs;
  for (const st of truth.steps) boot = Math.min(boot, st.realUs - Math.floor(st.monoNs / 1000));
  const endUs = truth.captureStopMonoNs !== undefined ? truth.captureStopMonoNs / 1000 : Infinity;
  return { bootUs: boot, endUs, exact: truth.steps.some((s) => s.endMonoNs !== undefined) };
}

/**
 * When the step's own effects (what its system calls did: a fork, an open,
 * a read, a close's lose) happen. An exit's effects run after the runner
 * passed the turn on, up to when the process was seen gone.
 */
export function stepWindow(truth: Truth, clock: Clock, st: TruthStep): Window {
  const steps = truth.steps;
  const i = steps[st.step] === st ? st.step : steps.indexOf(st);
  const next = steps[i + 1];
  let lo = st.monoNs / 1000;
  // older runners recorded an exec after execve(): it began after the previous step
  if (st.kind === 'exec' && !clock.exact) lo = (steps[i - 1]?.monoNs ?? 0) / 1000;
  if (st.kind === 'exit') return { lo, hi: st.goneMonoNs !== undefined ? st.goneMonoNs / 1000 : clock.endUs };
  const hi = st.endMonoNs !== undefined ? st.endMonoNs / 1000 : next ? next.monoNs / 1000 : clock.endUs;
  return { lo, hi };
}

/** "within [lo, hi]" with the slack; the answer says which side it missed. */
export function outside(w: Window, t: number): 'before' | 'after' | undefined {
  if (t < w.lo - SLACK_US) return 'before';
  if (t > w.hi + SLACK_US) return 'after';
  return undefined;
}

/** How a time and a window read in a message. */
export function timeText(t: number, w: Window): string {
  const ms = (x: number) => `${(x / 1000).toFixed(3)} ms`;
  return `at ${ms(t)} (monotonic), the step ran from ${ms(w.lo)} to ${Number.isFinite(w.hi) ? ms(w.hi) : 'the end of the run'}`;
}
