// Reading truth.json: checks the shape the checker relies on, so that a
// truncated or foreign file fails with a clear message instead of a verdict.
import { HoneError } from '../util/errors.ts';
import type { Truth } from './types.ts';

export function parseTruth(text: string, file = 'truth.json'): Truth {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new HoneError('E_CAPTURE', `${file} is not valid JSON (${(e as Error).message})`, {
      hint: 'the runner was probably killed before it finished; rerun the scenario',
    });
  }
  const bad = (why: string): never => {
    throw new HoneError('E_CAPTURE', `${file} is not a hone-runner truth file: ${why}`, { hint: 'rebuild harness/runner and rerun the scenario' });
  };
  if (typeof v !== 'object' || v === null) return bad('not an object');
  const t = v as Record<string, unknown>;
  if (t.version !== 1) bad(`version is ${JSON.stringify(t.version)}, expected 1`);
  if (typeof t.scenario !== 'string' || typeof t.runId !== 'string') bad('no scenario or runId');
  if (typeof t.ok !== 'boolean') bad('no ok flag');
  if (!Array.isArray(t.steps)) bad('no steps array');
  for (const [i, s] of (t.steps as unknown[]).entries()) {
    const st = s as Record<string, unknown>;
    if (typeof st !== 'object' || st === null || typeof st.step !== 'number' || typeof st.kind !== 'string' || typeof st.pid !== 'number') {
      bad(`steps[${i}] lacks step, kind or pid`);
    }
  }
  return v as Truth;
}
