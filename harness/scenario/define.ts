// Builder helpers for scenario files: `defineScenario` only gives type
// inference; the helpers keep repetitive step lists short.
import type { Scenario, Step } from './types.ts';

export function defineScenario(s: Scenario): Scenario {
  return s;
}

/** Steps of `make(i)` for i = 0..count-1, flattened. */
export function repeat(count: number, make: (i: number) => Step[]): Step[] {
  const out: Step[] = [];
  for (let i = 0; i < count; i++) out.push(...make(i));
  return out;
}
